from .hooks import ChannelsLastHook, CompileModulesHook, ConfigCheckHook
from .optimizers import MixedPrecisionOptimWrapper

__all__ = [
    'ChannelsLastHook', 'CompileModulesHook', 'ConfigCheckHook',
    'MixedPrecisionOptimWrapper'
]
