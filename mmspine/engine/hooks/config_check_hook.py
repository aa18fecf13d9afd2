from mmdet.registry import HOOKS
from mmengine.hooks import Hook

from ...utils.config import check_config


@HOOKS.register_module()
class ConfigCheckHook(Hook):
    """Stop a run whose config does not mean what it says, before the first
    iteration (see :func:`mmspine.utils.config.check_config`).

    mmspine's tools check a config when they load it; this hook does the
    same for runs started another way: mmengine's ``Runner.from_cfg``,
    mmdet's ``tools/train.py`` and ``tools/test.py``. The shipped runtime
    bases list it in ``default_hooks``, which children merge into instead
    of replacing.
    """

    priority = 'VERY_HIGH'

    def before_run(self, runner) -> None:
        check_config(runner.cfg)
