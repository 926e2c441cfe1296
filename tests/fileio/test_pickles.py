"""The one pickle reader: arrays, numbers, strings and containers are built
from any protocol; any other type is refused, naming the file and the type,
unless trusted; unreadable files are named too."""

import os
import pickle

import numpy as np
import pytest

from fgvc.fileio import TRUST_FLAG, UnsafePickleError, load_pickle, refused_global


class RunsCommand:
    def __reduce__(self):
        return os.system, ('true',)


CONTENT = {
    'video': np.arange(24, dtype=np.uint8).reshape(2, 2, 2, 3),
    'points': np.linspace(0, 1, 8, dtype=np.float32).reshape(1, 4, 2),
    'big_endian': np.arange(3, dtype='>f8'),
    'fields': np.zeros(2, [('a', 'f4'), ('b', 'i2')]),
    'scalars': [np.float32(1.5), np.int64(-3), np.bool_(True)],
    'plain': [1, 2.5, 1j, None, True, 'text', b'\xff\xd8', (1, 'a')],
    'jpegs': [b'\xff\xd8\xff' * 3],
}


@pytest.mark.parametrize('protocol', [2, 3, 4, 5])
def test_the_formats_types_load_from_every_protocol(tmp_path, protocol):
    """The reference is full unpickling of the same bytes."""
    path = tmp_path / 'data.pkl'
    path.write_bytes(pickle.dumps(CONTENT, protocol=protocol))
    loaded, reference = load_pickle(str(path)), pickle.loads(path.read_bytes())
    assert loaded.keys() == CONTENT.keys()
    for key in ('video', 'points', 'big_endian', 'fields'):
        assert loaded[key].dtype == reference[key].dtype
        np.testing.assert_array_equal(loaded[key], CONTENT[key])
    for key in ('scalars', 'plain', 'jpegs'):
        assert loaded[key] == reference[key] == CONTENT[key]
        assert [type(v) for v in loaded[key]] == [type(v) for v in reference[key]]


def test_other_types_are_refused_unless_trusted(tmp_path):
    path = tmp_path / 'evil.pkl'
    path.write_bytes(pickle.dumps({'x': RunsCommand()}))
    with pytest.raises(UnsafePickleError) as error:
        load_pickle(str(path), 'TAP-Vid pickle')
    message = str(error.value)
    assert message.startswith(
        f'Refusing to unpickle TAP-Vid pickle {path}: it holds `posix.system`'
    )
    assert TRUST_FLAG in message and '\n' not in message
    assert refused_global(path.read_bytes()) == 'posix.system'
    with pytest.warns(UserWarning, match='full unpickling'):
        assert load_pickle(str(path), trust=True) == {'x': 0}  # os.system('true') ran
    # inside an object array; a set (built by builtins.set under protocol 2)
    for obj, refused in ((np.array([RunsCommand()], object), 'posix.system'), ({1}, 'set')):
        path.write_bytes(pickle.dumps(obj, protocol=2))
        with pytest.raises(UnsafePickleError, match=f'holds `[a-z.]*{refused}`'):
            load_pickle(str(path))


def test_unreadable_files_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='predictions pickle not found'):
        load_pickle(str(tmp_path / 'none.pkl'), 'predictions pickle')
    empty = tmp_path / 'empty.pkl'
    empty.write_bytes(b'')
    with pytest.raises(ValueError, match=f'Cannot read pickle {empty}: the file is empty'):
        load_pickle(str(empty))
    cut = tmp_path / 'cut.pkl'
    cut.write_bytes(pickle.dumps(CONTENT)[:100])
    with pytest.raises(ValueError, match=f'Cannot read pickle {cut}: truncated, corrupt'):
        load_pickle(str(cut))
