from .hooks import (ChannelsLastHook, CompileModulesHook, ConfigCheckHook,
                    InferencePrecisionHook)
from .optimizers import MixedPrecisionOptimWrapper

__all__ = [
    'ChannelsLastHook', 'CompileModulesHook', 'ConfigCheckHook',
    'InferencePrecisionHook', 'MixedPrecisionOptimWrapper'
]
