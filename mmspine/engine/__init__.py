from .hooks import ChannelsLastHook, CompileModulesHook
from .optimizers import MixedPrecisionOptimWrapper

__all__ = [
    'ChannelsLastHook', 'CompileModulesHook', 'MixedPrecisionOptimWrapper'
]
