from .checkpoint import (allow_mmengine_checkpoint_types,
                         mmengine_checkpoint_types)
from .config import ConfigSettingError, check_config, config_file, palette_for
from .precision import (PRECISIONS, autocast_features, native_bf16,
                        resolve_precision)
from .setup_env import register_all_modules

__all__ = [
    'ConfigSettingError', 'PRECISIONS', 'allow_mmengine_checkpoint_types',
    'autocast_features', 'check_config', 'config_file',
    'mmengine_checkpoint_types', 'native_bf16', 'palette_for',
    'register_all_modules', 'resolve_precision'
]
