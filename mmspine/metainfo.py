"""VinDr-SpineXR label space, shared by the data tools and the datasets.

Kept free of torch and mmdet so that preprocessing workers can import it.
"""

#: The 7 detection classes, in the order of the reference config.
SPINEXR_CLASSES = ('Osteophytes', 'Surgical implant', 'Spondylolysthesis',
                   'Foraminal stenosis', 'Disc space narrowing',
                   'Vertebral collapse', 'Other lesions')

#: The six rare lesion types the detector ignores by default; they may be
#: folded into 'Other lesions'.
RARE_LESION_TYPES = ('Ankylosis', 'Enthesophytes', 'Fracture',
                     'Sclerotic lesion', 'Subchondral sclerosis',
                     'Foreign body')

#: All 13 lesion types; an image with any of them is abnormal.
ALL_LESION_TYPES = SPINEXR_CLASSES + RARE_LESION_TYPES

#: Columns of the VinDr-SpineXR annotation CSVs, in order: one row per box
#: and radiologist, or one 'No finding' row without coordinates.
VINDR_CSV_COLUMNS = ('image_id', 'study_id', 'series_id', 'rad_id',
                     'lesion_type', 'xmin', 'ymin', 'xmax', 'ymax')

#: The lesion_type of rows that mark a normal image.
NO_FINDING = 'No finding'

#: One distinct RGB colour per detection class, for visualisation.
SPINEXR_PALETTE = [(230, 25, 75), (60, 180, 75), (255, 225, 25), (0, 130, 200),
                   (245, 130, 48), (145, 30, 180), (70, 240, 240)]


def palette_for(classes) -> list:
    """One RGB colour per class: :data:`SPINEXR_PALETTE` cycled."""
    return [
        SPINEXR_PALETTE[i % len(SPINEXR_PALETTE)] for i in range(len(classes))
    ]


def config_classes(cfg) -> tuple:
    """The detection classes a config's dataset has, in label order.

    The test (else val, else train) dataset's ``metainfo['classes']``,
    looking through dataset wrappers (``dataset=``), else the ``METAINFO``
    of its type, which the Runner would use too.

    Args:
        cfg (Config | dict): A model config.

    Raises:
        ValueError: when the config has no dataset to take them from.
    """
    for key in ('test_dataloader', 'val_dataloader', 'train_dataloader'):
        dataset = (cfg.get(key) or {}).get('dataset')
        while dataset:
            classes = (dataset.get('metainfo') or {}).get('classes')
            if classes:
                return tuple(classes)
            if not dataset.get('dataset'):
                break
            dataset = dataset['dataset']
        if dataset and dataset.get('type'):
            # the registry needs mmdet: imported only here, so that the
            # preprocessing workers can import this module
            from mmdet.registry import DATASETS
            dataset_cls = DATASETS.get(dataset['type'])
            classes = (getattr(dataset_cls, 'METAINFO', None)
                       or {}).get('classes')
            if classes:
                return tuple(classes)
    raise ValueError(
        'no classes: the config has no dataset with metainfo classes '
        '(e.g. test_dataloader.dataset.metainfo.classes)')
