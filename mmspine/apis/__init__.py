from .demo import run_demo
from .launch import (add_dump_results, build_runner, load_config, setup_test,
                     setup_train)

__all__ = [
    'add_dump_results', 'build_runner', 'load_config', 'run_demo',
    'setup_test', 'setup_train'
]
