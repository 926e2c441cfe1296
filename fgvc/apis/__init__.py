from .evaluation import format_table, load_encoder_weights, prepare_test_config

__all__ = ['format_table', 'load_encoder_weights', 'prepare_test_config']
