"""Published AP@0.5 of VinDr-SpineXR (Nguyen et al., MICCAI 2021).

Measured on VinDr-SpineXR's test set (2,078 images); percentages. Shown in
the evaluation report beside a run's own numbers for orientation only: they
are not comparable with results on other data (the phantom among them).
Table 4's per-class values do not average to its printed mAP; Table 5's do.
"""
from collections import OrderedDict

#: The paper's column order, as class names.
_ORDER = ('Disc space narrowing', 'Foraminal stenosis', 'Osteophytes',
          'Spondylolysthesis', 'Surgical implant', 'Vertebral collapse',
          'Other lesions')

#: The models of the tables, one per row of :data:`_AP50`.
_MODELS = ('Faster R-CNN (Table 4)', 'RetinaNet (Table 4)',
           'EfficientDet (Table 4)', 'Sparse R-CNN (Table 4)',
           'Sparse R-CNN (Table 5)', 'Sparse R-CNN + decision rule (Table 5)')
# The classes in _ORDER, then the printed mAP.
_AP50 = (
    (22.66, 35.99, 49.24, 31.68, 65.22, 51.68, 2.16, 31.83),
    (14.53, 25.35, 41.67, 32.14, 65.49, 51.85, 5.30, 28.09),
    (17.05, 24.19, 42.69, 35.18, 61.85, 52.53, 2.45, 28.73),
    (20.09, 32.67, 48.16, 45.32, 72.20, 49.30, 5.41, 33.15),
    (18.06, 28.89, 34.23, 41.52, 62.45, 42.85, 4.03, 33.15),
    (21.43, 27.36, 34.78, 41.29, 62.53, 43.39, 4.16, 33.56),
)

#: Model -> class name (and 'mAP') -> AP@0.5 in percent.
PAPER_AP50 = OrderedDict((model, OrderedDict(zip(_ORDER + ('mAP', ), row)))
                         for model, row in zip(_MODELS, _AP50))

#: Where the numbers were measured, for labels.
PAPER_SOURCE = ("Nguyen et al., MICCAI 2021, measured on VinDr-SpineXR's "
                'test set (2,078 images)')

__all__ = ['PAPER_AP50', 'PAPER_SOURCE']
