import os.path as osp
import re
import shutil
import sys
from typing import List

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))


def readme() -> str:
    with open(osp.join(HERE, 'README.md'), encoding='utf-8') as f:
        return f.read()


def version() -> str:
    """The version, written once in mmspine/version.py."""
    with open(osp.join(HERE, 'mmspine', 'version.py')) as f:
        return re.search(r"__version__ = '([^']+)'", f.read()).group(1)


def requirements(*names: str) -> List[str]:
    """Requirement lines of requirements/<name>.txt, comments left out.

    Version bounds live in those files only.
    """
    lines = []
    for name in names:
        with open(osp.join(HERE, 'requirements', f'{name}.txt')) as f:
            for line in f:
                line = line.split('#', 1)[0].strip()
                if line:
                    lines.append(line)
    return lines


def ship_configs() -> None:
    """Copy configs/ into mmspine/.mim/configs for a non-editable install,
    where the repository's configs/ is not around
    (:func:`mmspine.utils.config_file` finds either)."""
    # only what builds a package: an editable install's metadata step
    # (egg_info, dist_info) would leave a copy that goes stale
    if not any(cmd in sys.argv
               for cmd in ('sdist', 'bdist_wheel', 'build', 'install')):
        return
    target = osp.join(HERE, 'mmspine', '.mim', 'configs')
    if osp.isdir(target):
        shutil.rmtree(target)
    shutil.copytree(osp.join(HERE, 'configs'), target)


if __name__ == '__main__':
    ship_configs()
    setup(
        name='mmspine',
        version=version(),
        description='Spine radiograph lesion detection and classification '
        'on MMDetection 3.x (VinDr-SpineXR)',
        long_description=readme(),
        long_description_content_type='text/markdown',
        packages=find_packages(exclude=('configs', 'tools', 'tests')),
        package_data={'mmspine': ['.mim/configs/**/*.py']},
        include_package_data=True,
        python_requires='>=3.9',
        # torch>=2.6 is among them: install the build for your CUDA first
        # (README), pip keeps it
        install_requires=requirements('runtime', 'openmmlab'),
        extras_require={'tests': requirements('tests')},
        license='Apache License 2.0',
        zip_safe=False)
