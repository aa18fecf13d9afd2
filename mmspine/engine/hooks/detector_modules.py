"""Submodules of the runner's detector that a hook acts on, by name."""
from typing import List, Sequence

from mmengine.model import is_model_wrapper
from torch import nn


def detector_modules(runner, names: Sequence[str],
                     hook: str) -> List[nn.Module]:
    """The modules ``names`` of the runner's model, wrappers unwrapped.

    Args:
        runner (Runner): The runner whose model is searched.
        names (Sequence[str]): Attributes of the model ('backbone', ...).
        hook (str): The asking hook's name, for the error message.

    Raises:
        AttributeError: naming the hook, the model type and the missing
            module.
    """
    model = runner.model.module if is_model_wrapper(
        runner.model) else runner.model
    modules = []
    for name in names:
        module = getattr(model, name, None)
        if not isinstance(module, nn.Module):
            raise AttributeError(f'{hook}: {type(model).__name__} has no '
                                 f'module {name!r}')
        modules.append(module)
    return modules
