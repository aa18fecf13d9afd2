from .channels_last_hook import ChannelsLastHook, channels_last_chain
from .compile_modules_hook import CompileModulesHook
from .config_check_hook import ConfigCheckHook
from .precision_hook import InferencePrecisionHook

__all__ = [
    'ChannelsLastHook', 'CompileModulesHook', 'ConfigCheckHook',
    'InferencePrecisionHook', 'channels_last_chain'
]
