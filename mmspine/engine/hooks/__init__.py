from .channels_last_hook import ChannelsLastHook, channels_last_chain
from .compile_modules_hook import CompileModulesHook
from .precision_hook import InferencePrecisionHook

__all__ = [
    'ChannelsLastHook', 'CompileModulesHook', 'InferencePrecisionHook',
    'channels_last_chain'
]
