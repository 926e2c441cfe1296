from .video import PackTrackInputs, ResizeVideo, SampleTapVidQueries

__all__ = ['PackTrackInputs', 'ResizeVideo', 'SampleTapVidQueries']
