from .channels_last_hook import ChannelsLastHook, channels_last_chain
from .compile_modules_hook import CompileModulesHook

__all__ = ['ChannelsLastHook', 'CompileModulesHook', 'channels_last_chain']
