"""Shared file helpers of the preprocessing modules."""
import os
import subprocess
import sys

import cv2
import numpy as np
import pytest

from mmspine.fileio import (PNG_SIGNATURE, atomic_write, png_is_complete,
                            read_png_size, temp_path, write_atomic)


def test_atomic_write_replaces_when_complete(tmp_path):
    target = str(tmp_path / 'x.csv')
    with atomic_write(target, 'w', newline='') as f:
        f.write('a,b\n')
        assert f.name == temp_path(target)
        assert not os.path.exists(target)
    assert open(target).read() == 'a,b\n'
    assert os.listdir(tmp_path) == ['x.csv']


@pytest.mark.parametrize('error', [RuntimeError, KeyboardInterrupt])
def test_atomic_write_keeps_old_file_on_error(tmp_path, error):
    target = str(tmp_path / 'x.bin')
    with atomic_write(target, 'wb') as f:
        f.write(b'old')
    with pytest.raises(error):
        with atomic_write(target, 'wb') as f:
            f.write(b'half')
            raise error
    assert open(target, 'rb').read() == b'old'
    assert os.listdir(tmp_path) == ['x.bin']


def test_write_atomic_with_a_path_writer(tmp_path):
    target = str(tmp_path / 'x.png')

    def writer(path):
        assert path == temp_path(target)
        cv2.imwrite(path + '.png', np.zeros((3, 5), np.uint8))
        os.replace(path + '.png', path)

    write_atomic(target, writer)
    assert read_png_size(target) == (5, 3) and png_is_complete(target)

    def fails(path):
        open(path, 'w').close()
        raise OSError('disk full')

    with pytest.raises(OSError, match='disk full'):
        write_atomic(target, fails)
    assert os.listdir(tmp_path) == ['x.png'] and png_is_complete(target)


def test_png_header_helpers(tmp_path):
    path = str(tmp_path / 'a.png')
    cv2.imwrite(path, np.zeros((13, 29), np.uint8))
    assert open(path, 'rb').read(8) == PNG_SIGNATURE
    assert read_png_size(path) == (29, 13)
    assert png_is_complete(path)
    with open(path, 'r+b') as f:
        f.truncate(40)
    assert not png_is_complete(path)
    assert not png_is_complete(str(tmp_path / 'missing.png'))
    (tmp_path / 'b.png').write_text('hello')
    with pytest.raises(ValueError, match='not a PNG'):
        read_png_size(str(tmp_path / 'b.png'))


def test_preprocessing_modules_stay_free_of_training_stack():
    code = ('import sys; import mmspine.fileio, mmspine.dicom, '
            'mmspine.annotations, mmspine.phantom; '
            "print(sorted(m for m in ('torch', 'mmdet', 'mmengine') "
            'if m in sys.modules))')
    out = subprocess.run([sys.executable, '-c', code],
                         capture_output=True,
                         text=True,
                         check=True).stdout
    assert out.strip() == '[]'
