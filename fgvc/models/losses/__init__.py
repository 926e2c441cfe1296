from .gradient_reversal import GradientReversal, reverse_gradient
from .reconstruction_loss import ReconstructionLoss, reconstruct, window_affinity
from .soft_label_loss import FlowSoftLabelLoss, soft_cross_entropy

__all__ = [
    'GradientReversal',
    'reverse_gradient',
    'ReconstructionLoss',
    'reconstruct',
    'window_affinity',
    'FlowSoftLabelLoss',
    'soft_cross_entropy',
]
