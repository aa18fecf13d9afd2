from .checkpoint import (allow_mmengine_checkpoint_types,
                         mmengine_checkpoint_types)
from .config import ConfigSettingError, check_config, config_file, palette_for
from .setup_env import register_all_modules

__all__ = [
    'ConfigSettingError', 'allow_mmengine_checkpoint_types', 'check_config',
    'config_file', 'mmengine_checkpoint_types', 'palette_for',
    'register_all_modules'
]
