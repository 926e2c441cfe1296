from .evaluation import format_table, load_encoder_weights, prepare_test_config
from .online import OnlineTracker
from .predictor import Predictor

__all__ = [
    'format_table',
    'load_encoder_weights',
    'prepare_test_config',
    'OnlineTracker',
    'Predictor',
]
