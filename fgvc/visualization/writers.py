"""Writing drawn frames to disk as images and as an mp4 video."""
import os
import os.path as osp

import cv2
import numpy as np


def write_images(frames: np.ndarray, folder: str, template: str = '{:05d}.jpg') -> None:
    """Every frame of uint8 RGB ``[T, H, W, 3]`` as an image file in ``folder``."""
    os.makedirs(folder, exist_ok=True)
    for t, frame in enumerate(frames):
        path = osp.join(folder, template.format(t))
        if not cv2.imwrite(path, cv2.cvtColor(frame, cv2.COLOR_RGB2BGR)):
            raise OSError(f'Cannot write image {path}')


def write_mp4(frames: np.ndarray, path: str, fps: float) -> None:
    """uint8 RGB ``[T, H, W, 3]`` as an mp4 (MPEG-4 part 2) video."""
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    height, width = frames.shape[1:3]
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), fps, (width, height))
    if not writer.isOpened():
        raise OSError(f'Cannot open video writer for {path}')
    for frame in frames:
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()
