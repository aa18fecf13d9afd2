from .demo import run_demo, set_data_root
from .launch import (AMP_DTYPES, SPEED_LEVERS, add_dump_results,
                     add_tensorboard, build_runner, load_config,
                     resolve_amp_dtype, setup_speed, setup_test, setup_train)

__all__ = [
    'AMP_DTYPES', 'SPEED_LEVERS', 'add_dump_results', 'add_tensorboard',
    'build_runner', 'load_config', 'resolve_amp_dtype', 'run_demo',
    'set_data_root', 'setup_speed', 'setup_test', 'setup_train'
]
