from .color import rgb_to_lab
from .video_preprocessor import VideoDataPreprocessor

__all__ = ['rgb_to_lab', 'VideoDataPreprocessor']
