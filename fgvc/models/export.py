"""Export the encoder (normalised frames to L2-normalised features) to ONNX or
TorchScript, and run an exported ONNX encoder with onnxruntime.

The exported graph takes what :meth:`VideoDataPreprocessor.normalize` gives
(float32 ``[B, 3, H, W]``: the frames resized and colour-normalised, Lab by
default) and returns the unit-norm feature map ``[B, C, h, w]`` that
:meth:`PropagationTracker.encode` computes. Batch, height and width are
dynamic. Label propagation stays in PyTorch.
"""

from typing import Sequence, Union

import numpy as np
import torch
from torch import nn

from .encoder import Encoder

FORMATS = ('onnx', 'torchscript')
INPUT_NAME = 'frames'
OUTPUT_NAME = 'features'
#: Shape of the example input the graph is traced with (any size works afterwards).
TRACE_SHAPE = (2, 3, 64, 64)
ONNX_OPSET = 17


def export_encoder(
    backbone: nn.Module, fmt: str, out: str, trace_shape: Sequence[int] = TRACE_SHAPE
) -> None:
    """Write ``backbone`` (in eval mode, on CPU) as an ONNX or TorchScript encoder."""
    if fmt not in FORMATS:
        raise ValueError(f'Unknown export format {fmt!r}: use one of {FORMATS}')
    encoder = Encoder(backbone).cpu().eval()
    example = torch.zeros(trace_shape)
    with torch.no_grad():
        if fmt == 'torchscript':
            torch.jit.trace(encoder, (example,)).save(out)
            return
        torch.onnx.export(
            encoder,
            (example,),
            out,
            input_names=[INPUT_NAME],
            output_names=[OUTPUT_NAME],
            dynamic_axes={
                INPUT_NAME: {0: 'batch', 2: 'height', 3: 'width'},
                OUTPUT_NAME: {0: 'batch', 2: 'feature_height', 3: 'feature_width'},
            },
            opset_version=ONNX_OPSET,
            dynamo=False,
        )


class OnnxEncoder:
    """An exported ONNX encoder run by onnxruntime, called like
    :meth:`PropagationTracker.encode`: normalised frames ``[n, 3, H, W]`` ->
    unit-norm features ``[n, C, h, w]`` on the frames' device."""

    def __init__(self, path: str, device: Union[str, torch.device] = 'cpu'):
        try:
            import onnxruntime
        except ImportError as error:
            raise ImportError(
                'Running an ONNX encoder needs onnxruntime: pip install -e ".[export]"'
            ) from error
        providers = ['CPUExecutionProvider']
        if torch.device(device).type == 'cuda' and 'CUDAExecutionProvider' in (
            onnxruntime.get_available_providers()
        ):
            providers.insert(0, 'CUDAExecutionProvider')
        try:
            self.session = onnxruntime.InferenceSession(path, providers=providers)
        except Exception as error:  # onnxruntime raises its own exception types
            raise ValueError(f'Cannot load the ONNX encoder {path}: {error}') from error
        names = [i.name for i in self.session.get_inputs()]
        if names != [INPUT_NAME]:
            raise ValueError(
                f'{path} is not an encoder exported by tools/export.py: its inputs are '
                f'{names}, expected [{INPUT_NAME!r}]'
            )
        self.path = path

    def __call__(self, frames: torch.Tensor) -> torch.Tensor:
        inputs = np.ascontiguousarray(frames.detach().cpu().numpy(), dtype=np.float32)
        (features,) = self.session.run([OUTPUT_NAME], {INPUT_NAME: inputs})
        return torch.from_numpy(features).to(frames.device)
