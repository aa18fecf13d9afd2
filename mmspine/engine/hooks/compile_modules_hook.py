from typing import Optional, Sequence

from mmdet.registry import HOOKS
from mmengine.hooks import Hook

from .detector_modules import detector_modules


@HOOKS.register_module()
class CompileModulesHook(Hook):
    """``torch.compile`` chosen submodules of the detector in place.

    Unlike mmengine's ``compile`` key, which compiles the whole
    ``train_step`` (Sparse R-CNN's Hungarian matching in SciPy breaks the
    graph at every stage), only the dense parts are compiled.
    ``nn.Module.compile`` keeps parameter names, so checkpoints stay
    interchangeable with uncompiled runs.

    Args:
        modules (Sequence[str]): Attributes of the detector to compile.
            Defaults to ('backbone', ).
        compile_kwargs (dict, optional): Arguments of ``torch.compile``.
    """

    priority = 'LOW'

    def __init__(self,
                 modules: Sequence[str] = ('backbone', ),
                 compile_kwargs: Optional[dict] = None) -> None:
        self.modules = tuple(modules)
        self.compile_kwargs = compile_kwargs or {}

    def before_run(self, runner) -> None:
        for module in detector_modules(runner, self.modules,
                                       type(self).__name__):
            module.compile(**self.compile_kwargs)
