from .local_correlation import local_correlation, local_correlation_fast

__all__ = ['local_correlation', 'local_correlation_fast']
