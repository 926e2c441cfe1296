"""tools/web_demo.py through its main, every option on the page it serves:
the main parses the options, builds the demo and serves it with Gradio's
launch, which would block until Ctrl-C; here launch is told not to block
(its one change), and the page is driven with gradio_client at the host and
port given, as a browser would. Tracks come back as tools/demo.py makes them
with the same options; the weights are the tiny zoo's trained encoder
(``tiny_zoo`` in conftest.py, 8 channels wide)."""

import socket
from pathlib import Path

import numpy as np
import pytest
import torch
from gradio_client import Client, handle_file
from tool_runs import EVAL_CONFIG, crafted_checkpoint, exit_message, load_tool
from zoo_utils import TINY_WIDTH

import fgvc.web.app
from fgvc.datasets.synthetic import make_moving_layer_scene, render
from fgvc.fileio import TRUST_FLAG
from fgvc.utils import load_checkpoint
from fgvc.visualization import write_mp4

FRAMES, SIZE, FPS = 6, 64, 10
POINTS = '0,20.5,20.5;0,44.5,36.5'
#: The encoder input of a 64x64 clip at --short-side 32.
SHORT_SIDE, INPUT = '32', '32x32'
#: Tracks of the ONNX and the PyTorch encoder (they differ by ~1e-5 px).
ONNX_TOLERANCE_PX = 0.01
#: A config of its own (--config): sharper, fewer matches than the default's.
TINY_CONFIG = f"""_base_ = [{EVAL_CONFIG!r}]
tasks = dict(davis=dict(model=dict(propagation=dict(topk=1, temperature=0.5))))
"""
WIDTH_OPTION = f'model.backbone.base_channels={TINY_WIDTH}'


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.fixture
def served(monkeypatch):
    """Pages the tool's main serves in this test, without blocking; closed after it."""
    monkeypatch.setenv('GRADIO_ANALYTICS_ENABLED', 'False')
    pages, launch = [], fgvc.web.app.launch

    def launch_in_background(demo, host, port):
        pages.append(launch(demo, host, port, prevent_thread_lock=True, quiet=True))

    monkeypatch.setattr(fgvc.web.app, 'launch', launch_in_background)
    yield pages
    for page in pages:
        page.close()


@pytest.fixture(scope='module')
def inputs(tiny_zoo, tmp_path_factory) -> dict:
    """A clip (a textured layer moving 2 px a frame), the tiny config, the
    tiny zoo's weights and its encoder exported to ONNX by tools/export.py."""
    folder = tmp_path_factory.mktemp('web_options')
    offsets = 2.0 * np.arange(FRAMES)[:, None] * np.ones(2)
    frames, _ = render(make_moving_layer_scene(SIZE, SIZE, offsets, (8, 8, 28, 24), seed=0))
    clip = folder / 'clip.mp4'
    write_mp4(frames, str(clip), FPS)
    config = folder / 'tiny_config.py'
    config.write_text(TINY_CONFIG)
    state = load_checkpoint(str(tiny_zoo.checkpoint))['state_dict']
    onnx = folder / 'encoder.onnx'
    load_tool('export').main([str(tiny_zoo.checkpoint), '--format', 'onnx', '--out', str(onnx)])
    return dict(clip=clip, config=config, state=state, onnx=onnx)


def crafted_weights(inputs: dict, folder: Path) -> tuple:
    """The tiny zoo's weights alone (no training config: the width is not
    said) with an object whose unpickling creates a marker: (file, marker)."""
    marker = folder / 'weights.ran'
    weights = crafted_checkpoint(folder / 'weights.pth', marker, dict(state_dict=inputs['state']))
    return weights, marker


def web_demo(*argv) -> None:
    load_tool('web_demo').main([str(a) for a in argv])


def track(port: int, clip: Path, downloads: Path, adapt_steps: int = 0) -> tuple:
    """(tracks.npz, summary) of tracking :data:`POINTS` through ``clip`` on
    the page at ``port``."""
    client = Client(f'http://127.0.0.1:{port}/', verbose=False, download_files=str(downloads))
    _, files, summary = client.predict(
        handle_file(str(clip)), 'points', POINTS, None, 'LocalMatcher', adapt_steps,
        api_name='/track',
    )  # fmt: skip
    (npz,) = [f for f in files if f.endswith('tracks.npz')]
    return dict(np.load(npz)), summary


def demo_tracks(out: Path, clip: Path, *argv) -> dict:
    """tools/demo.py's tracks of :data:`POINTS` through ``clip``."""
    argv = [clip, '--queries', POINTS, '--short-side', SHORT_SIDE, '--device', 'cpu', *argv]
    load_tool('demo').main([str(a) for a in [*argv, '--out', out]])
    return dict(np.load(out / 'tracks.npz'))


def test_bad_options_stop_the_tool_in_one_line_before_serving(inputs, served, tmp_path):
    weights, marker = crafted_weights(inputs, tmp_path)
    argv = ['--checkpoint', weights, '--port', free_port(), '--work-dir', tmp_path / 'w']
    with pytest.raises(SystemExit) as error:
        web_demo(*argv)
    line = exit_message(error)
    assert str(weights) in line and TRUST_FLAG in line and not marker.exists()
    with pytest.raises(SystemExit) as error, pytest.warns(UserWarning, match='full unpickling'):
        web_demo(*argv, '--trust-pickle')  # without the width: the default's 64 channels
    assert f'Checkpoint {weights} does not fit the encoder: shape mismatch' in exit_message(error)
    with pytest.raises(SystemExit) as error:
        web_demo('--encoder-onnx', inputs['onnx'], *argv)
    assert f'--checkpoint {weights} would be ignored' in exit_message(error)
    if not torch.cuda.is_available():
        with pytest.raises(SystemExit) as error:
            web_demo('--device', 'cuda', '--port', free_port())
        assert exit_message(error).startswith('error: --device cuda')
    assert not served  # no page was served


def test_every_option_reaches_the_page(tiny_zoo, inputs, served, tmp_path, capsys):
    clip, config = inputs['clip'], inputs['config']
    weights, marker = crafted_weights(inputs, tmp_path)
    port, work = free_port(), tmp_path / 'runs'
    with pytest.warns(UserWarning, match='full unpickling'):
        web_demo(
            '--checkpoint', weights, '--trust-pickle', '--cfg-options', WIDTH_OPTION,
            '--config', config, '--short-side', SHORT_SIDE, '--device', 'cpu',
            '--host', '127.0.0.1', '--port', port, '--work-dir', work,
        )  # fmt: skip
    printed = capsys.readouterr().out
    assert f'Weights: checkpoint {weights}. Runs are written to {work}' in printed
    assert marker.exists() and len(served) == 1
    tracks, summary = track(port, clip, tmp_path / 'got')
    assert f'through {FRAMES} frames of {SIZE}x{SIZE}' in summary
    assert f'(encoder input {INPUT} on cpu, LocalMatcher' in summary
    assert f'Weights: checkpoint {weights}.' in summary
    assert len(list(work.glob('runs/*/tracks.npz'))) == 1  # the run, in --work-dir
    # the tracks of tools/demo.py with the same weights and config
    same = demo_tracks(tmp_path / 'demo', clip, '--checkpoint', tiny_zoo.checkpoint,
                       '--config', config)  # fmt: skip
    for key in ('tracks', 'visibility'):
        np.testing.assert_array_equal(tracks[key], same[key])
    default_config = demo_tracks(tmp_path / 'default', clip, '--checkpoint', tiny_zoo.checkpoint)
    assert not np.array_equal(default_config['tracks'], tracks['tracks'])

    # the exported encoder: the same tracks within the tolerance
    onnx_port = free_port()
    web_demo('--encoder-onnx', inputs['onnx'], '--config', config, '--short-side', SHORT_SIDE,
             '--port', onnx_port, '--work-dir', tmp_path / 'onnx')  # fmt: skip
    assert f'Weights: ONNX encoder {inputs["onnx"]}' in capsys.readouterr().out
    through_onnx, summary = track(onnx_port, clip, tmp_path / 'got_onnx')
    assert f'Weights: ONNX encoder {inputs["onnx"]} (run by onnxruntime).' in summary
    np.testing.assert_allclose(through_onnx['tracks'], tracks['tracks'], atol=ONNX_TOLERANCE_PX)
    with pytest.raises(Exception, match='Adaptation fine-tunes the PyTorch encoder'):
        track(onnx_port, clip, tmp_path / 'got_onnx', adapt_steps=1)
