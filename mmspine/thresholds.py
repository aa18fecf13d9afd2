"""Every default threshold of mmspine, named once.

Each is the default of a library argument and of the command-line option
that sets it; change a default here and every tool follows. Tune ``c`` and
``k`` on a validation split (``tools/fuse.py --sweep``) and pass them with
``--rule``; these are starting points. Free of imports.
"""

#: Box score below which findings are dropped after fusion
#: (``tools/infer.py --score-thr``): low, so that evaluation sees the
#: whole precision-recall curve.
FINDINGS_SCORE_THR = 0.05
#: Box score of the predictions drawn beside the ground truth
#: (``tools/visualize_results.py --score-thr``).
DRAW_SCORE_THR = 0.25
#: Box score of the findings drawn on inference overlays
#: (``tools/infer.py --overlay-score-thr``).
OVERLAY_SCORE_THR = 0.3
#: Operating score of the report's confusion matrix and of a 'missed'
#: lesion in its gallery (``tools/analysis_tools/report.py --score-thr``).
OPERATING_SCORE_THR = 0.5

#: The decision rule's classifier threshold c when none is given or tuned
#: (``tools/infer.py --c``). ``tools/fuse.py`` without ``--c`` takes the
#: Youden threshold of the classifier predictions instead, as the paper.
RULE_C = 0.5
#: Box score an image called normal still needs (the paper's k;
#: ``tools/infer.py --k``, ``tools/fuse.py --k``).
RULE_K = 0.5
#: Grid of c in a decision-rule sweep (``--c-grid``): 0.05 to 0.95.
RULE_C_GRID = tuple(round(0.05 * i, 2) for i in range(1, 20))
#: Grid of k in a decision-rule sweep (``--k-grid``).
RULE_K_GRID = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)

__all__ = [
    'DRAW_SCORE_THR', 'FINDINGS_SCORE_THR', 'OPERATING_SCORE_THR',
    'OVERLAY_SCORE_THR', 'RULE_C', 'RULE_C_GRID', 'RULE_K', 'RULE_K_GRID'
]
