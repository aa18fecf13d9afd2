"""What several benchmarks share."""
import argparse
import json
from typing import Any, Optional


def add_radiograph_args(parser: argparse.ArgumentParser,
                        num_images: int) -> None:
    """The synthetic DICOMs to time: how many, their size and bits stored
    (radiograph size, 12 bits, by default; see ``dicom2png.make_inputs``)."""
    parser.add_argument('--num-images', type=int, default=num_images)
    parser.add_argument('--rows', type=int, default=2500)
    parser.add_argument('--cols', type=int, default=1600)
    parser.add_argument('--bits', type=int, default=12)


def write_json(figures: Any, path: Optional[str], indent: int = 2) -> None:
    """Write a benchmark's figures to ``path`` (its ``--out``), if given."""
    if path:
        with open(path, 'w') as f:
            json.dump(figures, f, indent=indent)
