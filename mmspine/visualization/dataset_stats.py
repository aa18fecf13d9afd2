"""Figures of the data set statistics
(:func:`mmspine.annotations.dataset_stats`)."""
from typing import Dict, Sequence

import numpy as np

from ..annotations.dataset_stats import SplitStats, class_order
from .report.figures import colour, new_figure


def plot_dataset_stats(stats: Sequence[SplitStats]) -> Dict[str, object]:
    """Figures of :func:`mmspine.annotations.dataset_stats`, by name."""
    kinds = class_order(stats)
    figs = {}
    fig = new_figure(7, 4.5)
    ax = fig.add_subplot()
    width = .8 / max(len(stats), 1)
    for n, s in enumerate(stats):
        ax.bar(
            np.arange(len(kinds)) + n * width,
            [s.class_counts.get(k, 0) for k in kinds],
            width,
            label=s.name)
    ax.set_xticks(np.arange(len(kinds)) + width * (len(stats) - 1) / 2)
    ax.set_xticklabels(kinds, rotation=45, ha='right', fontsize=7)
    ax.set_yscale('symlog')
    ax.set(ylabel='boxes', title='Boxes per lesion type')
    ax.legend(fontsize=8)
    figs['dataset_classes'] = fig

    fig = new_figure(6, 4)
    ax = fig.add_subplot()
    top = max([int(s.boxes_per_image.max(initial=0)) for s in stats] + [1])
    for s in stats:
        ax.hist(
            s.boxes_per_image,
            bins=np.arange(top + 2) - .5,
            alpha=.6,
            label=f'{s.name} ({100 * s.normal_share:.0f}% No finding)')
    ax.set(xlabel='boxes per image', ylabel='images', title='Boxes per image')
    ax.legend(fontsize=8)
    figs['dataset_boxes_per_image'] = fig

    fig = new_figure(10, 4)
    ax_size, ax_aspect = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    sizes: Dict[str, list] = {}
    for s in stats:
        for k, wh in s.box_sizes.items():
            sizes.setdefault(k, []).append(wh)
    for n, k in enumerate(kinds):
        if k not in sizes:
            continue
        wh = np.concatenate(sizes[k])
        wh = wh[(wh > 0).all(axis=1)]
        if not len(wh):
            continue
        c = colour(n)
        ax_size.hist(
            np.sqrt(wh.prod(axis=1)),
            bins=30,
            histtype='step',
            color=c,
            label=k)
        ax_aspect.hist(
            np.log2(wh[:, 0] / wh[:, 1]), bins=30, histtype='step', color=c)
    ax_size.set(xlabel='sqrt(box area), px', ylabel='boxes', title='Box size')
    ax_aspect.set(
        xlabel='log2(width / height)', ylabel='boxes', title='Box aspect')
    ax_size.legend(fontsize=6)
    figs['dataset_box_shapes'] = fig

    if any(len(s.image_sizes) for s in stats):
        fig = new_figure(5, 4)
        ax = fig.add_subplot()
        for s in stats:
            if len(s.image_sizes):
                ax.scatter(*s.image_sizes.T, s=6, alpha=.5, label=s.name)
        ax.set(xlabel='width, px', ylabel='height, px', title='Image sizes')
        ax.legend(fontsize=8)
        figs['dataset_image_sizes'] = fig
    return figs


__all__ = ['plot_dataset_stats']
