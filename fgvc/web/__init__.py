"""The web demo: :mod:`.session` does what the page asks (no web library
needed), :mod:`.app` is the Gradio page (``pip install gradio``)."""

from .session import RunResult, WebDemo

__all__ = ['RunResult', 'WebDemo']
