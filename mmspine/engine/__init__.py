from .hooks import ChannelsLastHook, CompileModulesHook, InferencePrecisionHook
from .optimizers import MixedPrecisionOptimWrapper

__all__ = [
    'ChannelsLastHook', 'CompileModulesHook', 'InferencePrecisionHook',
    'MixedPrecisionOptimWrapper'
]
