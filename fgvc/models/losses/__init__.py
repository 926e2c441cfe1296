from .gradient_reversal import GradientReversal, reverse_gradient
from .parts import (
    ColourReconstruction,
    CorrelationAlignment,
    FeatureAlignment,
    FlowSupervision,
    LossPart,
)
from .reconstruction_loss import ReconstructionLoss, reconstruct, window_affinity
from .soft_label_loss import FlowSoftLabelLoss, soft_cross_entropy
from .training_batch import BRANCHES, DROP_DRAWS, TrainingBatch, drop_colour, encode_pairs

__all__ = [
    'BRANCHES',
    'DROP_DRAWS',
    'ColourReconstruction',
    'CorrelationAlignment',
    'FeatureAlignment',
    'FlowSupervision',
    'GradientReversal',
    'LossPart',
    'TrainingBatch',
    'drop_colour',
    'encode_pairs',
    'reverse_gradient',
    'ReconstructionLoss',
    'reconstruct',
    'window_affinity',
    'FlowSoftLabelLoss',
    'soft_cross_entropy',
]
