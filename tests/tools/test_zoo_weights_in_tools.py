"""tools/demo.py, tools/track_stream.py and tools/export.py through their
real entry points on a tiny generated clip: without a checkpoint they use
the zoo's default model and say so with its sha256 prefix; ``--checkpoint
none`` gives the untrained encoder (of the config's width) even when the zoo
has a default. The zoo is a temporary one (``tiny_zoo`` in conftest.py)."""

from pathlib import Path

import numpy as np
import pytest
import torch
from zoo_utils import TINY_MODEL, TINY_WIDTH, load_tool, zoo_clip

from fgvc.apis import Predictor
from fgvc.apis.queries import grid_queries
from fgvc.cli import eval_real
from fgvc.models.zoo import ZOO_ENV, Zoo

demo, track_stream, export = (load_tool(n) for n in ('demo', 'track_stream', 'export'))
SHORT_SIDE = 64
#: Channels of the encoder's output: stage 3 of the ResNet, 4x its base width.
UNTRAINED_CHANNELS, TINY_CHANNELS = 4 * 64, 4 * TINY_WIDTH


@pytest.fixture(scope='module')
def clip(tiny_zoo, tmp_path_factory):
    """A generated YouTube-VOS-style sequence of the tiny data: its frame
    folder, and the same frames as a lossless .avi for the stream tool."""
    return zoo_clip(tiny_zoo, tmp_path_factory.mktemp('stream'))


@pytest.fixture
def with_tiny_zoo(tiny_zoo, monkeypatch):
    monkeypatch.setenv(ZOO_ENV, str(tiny_zoo.zoo_dir))
    return Zoo().get(TINY_MODEL)


def announced(model) -> str:
    return f'Weights: zoo model {TINY_MODEL} (sha256 {model.short_sha256}, '


def test_demo_uses_the_default_model_and_says_which(
    with_tiny_zoo, tiny_zoo, clip, tmp_path, capsys
):
    out = tmp_path / 'demo'
    demo.main([str(clip['frames_dir']), '--queries', 'grid:2', '--out', str(out),
               '--short-side', str(SHORT_SIDE)])  # fmt: skip
    console = capsys.readouterr()
    assert announced(with_tiny_zoo) in console.out
    assert 'WARNING' not in console.err
    saved = np.load(out / 'tracks.npz')
    frames = clip['frames']
    assert saved['tracks'].shape == (len(frames), 4, 2)
    # the tracks of the checkpoint the model was published from
    expected, visible = Predictor(
        checkpoint=str(tiny_zoo.checkpoint), device='cpu', short_side=SHORT_SIDE
    )(frames, grid_queries(2, *frames.shape[1:3]))
    np.testing.assert_array_equal(saved['tracks'], expected)
    np.testing.assert_array_equal(saved['visibility'], visible)


def test_demo_checkpoint_none_is_the_untrained_encoder(with_tiny_zoo, clip, tmp_path, capsys):
    out = tmp_path / 'demo'
    demo.main([str(clip['frames_dir']), '--checkpoint', 'none', '--queries', 'grid:2',
               '--out', str(out), '--short-side', str(SHORT_SIDE)])  # fmt: skip
    console = capsys.readouterr()
    assert "Weights: untrained encoder (random weights), as 'none' asks" in console.out
    assert 'WARNING' not in console.err and TINY_MODEL not in console.out
    assert np.load(out / 'tracks.npz')['tracks'].shape == (len(clip['frames']), 4, 2)
    assert (out / 'tracks.csv').is_file() and (out / 'tracks.mp4').is_file()


def test_demo_without_a_shipped_model_warns_that_it_is_untrained(clip, tmp_path, capsys):
    demo.main([str(clip['frames_dir']), '--queries', 'grid:2', '--out', str(tmp_path / 'o'),
               '--short-side', str(SHORT_SIDE)])  # fmt: skip
    console = capsys.readouterr()
    assert 'no model is shipped with this installation' in console.out
    assert 'WARNING: No trained weights: no model is shipped' in console.err
    assert 'UNTRAINED' in console.err


def test_demo_names_a_missing_zoo_model(with_tiny_zoo, clip, tmp_path):
    with pytest.raises(SystemExit, match=f"error: No model 'other' .*it has: {TINY_MODEL}"):
        demo.main([str(clip['frames_dir']), '--checkpoint', 'zoo:other', '--out', str(tmp_path)])


def read_csv(path: Path) -> np.ndarray:
    lines = path.read_text().splitlines()
    assert lines[0] == 'frame,point,x,y,visible'
    return np.array([line.split(',') for line in lines[1:]], dtype=np.float64)


@pytest.mark.parametrize('checkpoint', [None, 'none'])
def test_track_stream_default_and_none(with_tiny_zoo, clip, tmp_path, capsys, checkpoint):
    out = tmp_path / 'stream'
    argv = [str(clip['avi']), '--out', str(out), '--queries', 'grid:2',
            '--short-side', str(SHORT_SIDE), '--max-frames', '4']  # fmt: skip
    track_stream.main(argv + (['--checkpoint', checkpoint] if checkpoint else []))
    console = capsys.readouterr()
    if checkpoint is None:
        assert announced(with_tiny_zoo) in console.out
    else:
        assert "Weights: untrained encoder (random weights), as 'none' asks" in console.out
    assert 'WARNING' not in console.err
    rows = read_csv(out / 'tracks.csv')
    assert rows.shape == (4 * 4, 5)  # 4 frames x 4 points
    np.testing.assert_array_equal(rows[:, 0], np.repeat(np.arange(4), 4))


@pytest.mark.parametrize(
    'argv,channels,says',
    [
        ([], TINY_CHANNELS, f'zoo model {TINY_MODEL}'),
        (['none'], UNTRAINED_CHANNELS, "as 'none' asks"),
        ([f'zoo:{TINY_MODEL}'], TINY_CHANNELS, f'zoo model {TINY_MODEL}'),
    ],
)
def test_export_default_none_and_named(with_tiny_zoo, tmp_path, capsys, argv, channels, says):
    out = tmp_path / 'encoder.pt'
    export.main([*argv, '--format', 'torchscript', '--out', str(out)])
    assert says in capsys.readouterr().out
    encoder = torch.jit.load(str(out))
    assert encoder(torch.zeros(1, 3, 32, 32)).shape[1] == channels


def test_eval_real_takes_zoo_models_and_checks_paths_only():
    encoders = eval_real.parse_encoders(['a=zoo:x', 'b=default', 'c=none', 'd=NONE'])
    assert encoders == {'a': 'zoo:x', 'b': 'default', 'c': None, 'd': None}
    with pytest.raises(FileNotFoundError, match='missing.pth'):
        eval_real.parse_encoders(['e=missing.pth'])


def test_outputs_onto_the_shipped_file_are_refused(with_tiny_zoo, tiny_zoo, tmp_path):
    """--save-adapted and export's --out are compared with the file the
    weights were read from, also when the checkpoint argument was a word."""
    shipped = tiny_zoo.zoo_dir / with_tiny_zoo.file
    before = shipped.read_bytes()
    with pytest.raises(ValueError, match='is the checkpoint being read'):
        Predictor(device='cpu', adapt_steps=1, save_adapted=str(shipped))
    with pytest.raises(SystemExit) as error:
        export.main(['--format', 'torchscript', '--out', str(shipped)])
    assert 'is the same path as CKPT' in str(error.value.code)
    assert shipped.read_bytes() == before
