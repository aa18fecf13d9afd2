from .batch_inference import infer_to_dir
from .config import (add_config_args, add_config_options, configure,
                     load_config, load_config_of, parse_config_args,
                     set_data_root, set_local_rank)
from .demo import run_demo
from .findings import (FINDINGS_CSV_COLUMNS, boxes_to_original,
                       findings_csv_to_coco_results, make_result,
                       write_findings_csv, write_findings_json)
from .inferencer import SpineInferencer, build_model
from .inputs import collect_inputs, load_input
from .overlay import draw_overlay
from .precision import setup_precision
from .runner import (AMP_DTYPES, SPEED_LEVERS, add_dump_results,
                     add_tensorboard, build_runner, resolve_amp_dtype,
                     setup_speed, setup_test, setup_train)

__all__ = [
    'AMP_DTYPES', 'FINDINGS_CSV_COLUMNS', 'SPEED_LEVERS', 'SpineInferencer',
    'add_config_args', 'add_config_options', 'add_dump_results',
    'add_tensorboard', 'boxes_to_original', 'build_model', 'build_runner',
    'collect_inputs', 'configure', 'draw_overlay',
    'findings_csv_to_coco_results', 'infer_to_dir', 'load_config',
    'load_config_of', 'load_input', 'make_result', 'parse_config_args',
    'resolve_amp_dtype', 'run_demo', 'set_data_root', 'set_local_rank',
    'setup_precision', 'setup_speed', 'setup_test', 'setup_train',
    'write_findings_csv', 'write_findings_json'
]
