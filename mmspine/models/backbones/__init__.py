from .monai_densenet import (DENSENET_IMAGENET_URLS, MonaiDenseNet,
                             torchvision_to_monai_densenet)

__all__ = [
    'DENSENET_IMAGENET_URLS', 'MonaiDenseNet', 'torchvision_to_monai_densenet'
]
