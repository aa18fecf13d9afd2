from .demo import run_demo
from .launch import (add_config_args, add_dump_results, build_runner,
                     load_config, set_local_rank, setup_test, setup_train)

__all__ = [
    'add_config_args', 'add_dump_results', 'build_runner', 'load_config',
    'run_demo', 'set_local_rank', 'setup_test', 'setup_train'
]
