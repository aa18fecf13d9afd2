"""Synthetic spine radiograph phantom; free of torch and mmdet."""
from .anatomy import SpineAnatomy, render_anatomy, sample_anatomy
from .generator import (CSV_COLUMNS, PhantomImage, PhantomLesion,
                        generate_image, make_phantom, plan_lesions, plan_split,
                        render_phantom)
from .lesions import LESION_SPECS, Lesion, apply_lesions, sample_lesion
from .prepare import (phantom_is_prepared, phantom_options,
                      prepare_phantom_dataset)

__all__ = [
    'SpineAnatomy', 'sample_anatomy', 'render_anatomy', 'Lesion',
    'LESION_SPECS', 'sample_lesion', 'apply_lesions', 'PhantomImage',
    'PhantomLesion', 'render_phantom', 'generate_image', 'plan_lesions',
    'plan_split', 'make_phantom', 'CSV_COLUMNS', 'prepare_phantom_dataset',
    'phantom_is_prepared', 'phantom_options'
]
