from .eval_wrapper import EvalModelWrapper

__all__ = ['EvalModelWrapper']
