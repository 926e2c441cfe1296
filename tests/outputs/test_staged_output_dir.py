"""The errors of :func:`fgvc.outputs.files.staged_output_dir` call the output
folder and its replacement by the caller's names: the parameters' own by
default (a library call), a tool's options when the tool names them."""

import pytest

from fgvc.outputs.files import MANIFEST, staged_output_dir

TOOL = dict(out_name='--out', overwrite_name='--overwrite')


def test_a_folder_in_the_way_is_named_by_the_callers_names(tmp_path):
    out = tmp_path / 'out'
    out.mkdir()
    (out / 'notes.txt').write_text('mine')
    for names, expected in (({}, '(overwrite)'), (TOOL, '(--overwrite)')):
        with pytest.raises(FileExistsError) as error:
            with staged_output_dir(str(out), **names):
                pass
        assert str(error.value).endswith(f'allow replacing it {expected}')
    for names, expected in (({}, 'another out_dir'), (TOOL, 'another --out')):
        with pytest.raises(FileExistsError) as error:
            with staged_output_dir(str(out), overwrite=True, **names):
                pass
        assert f'no {MANIFEST}' in str(error.value) and str(error.value).endswith(expected)
    assert (out / 'notes.txt').read_text() == 'mine'


def test_a_second_writer_is_told_the_callers_name(tmp_path):
    out = tmp_path / 'out'
    with staged_output_dir(str(out)):
        for names, expected in (({}, 'another out_dir'), (TOOL, 'another --out')):
            with pytest.raises(FileExistsError) as error:
                with staged_output_dir(str(out), **names):
                    pass
            assert str(error.value).startswith(f'Another run is writing to {out}')
            assert str(error.value).endswith(expected)
    assert out.is_dir() and (out / MANIFEST).is_file()
