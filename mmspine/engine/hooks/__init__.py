from .channels_last_hook import ChannelsLastHook
from .compile_modules_hook import CompileModulesHook

__all__ = ['ChannelsLastHook', 'CompileModulesHook']
