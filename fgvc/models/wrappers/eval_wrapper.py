"""Model wrapper for distributed evaluation.

Evaluation exchanges no gradients, so DistributedDataParallel is not needed
(and refuses models without trainable parameters, such as parameter-free
encoders). Each rank runs its share of the data through the bare model; the
evaluator gathers the results.
"""

from mmengine.model import BaseModel
from torch import nn

from fgvc.registry import MODEL_WRAPPERS


@MODEL_WRAPPERS.register_module()
class EvalModelWrapper(nn.Module):
    def __init__(self, module: BaseModel):
        super().__init__()
        self.module = module

    def val_step(self, data):
        return self.module.val_step(data)

    def test_step(self, data):
        return self.module.test_step(data)

    def train_step(self, data, optim_wrapper):
        raise RuntimeError(
            'EvalModelWrapper is for evaluation only; train with MMDistributedDataParallel'
        )
