from .demo import run_demo, set_data_root
from .launch import (add_dump_results, add_tensorboard, build_runner,
                     load_config, setup_test, setup_train)

__all__ = [
    'add_dump_results', 'add_tensorboard', 'build_runner', 'load_config',
    'run_demo', 'set_data_root', 'setup_test', 'setup_train'
]
