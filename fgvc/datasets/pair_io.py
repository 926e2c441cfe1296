"""Image reading shared by the training-pair datasets."""

import cv2
import numpy as np


def read_rgb(path: str) -> np.ndarray:
    """uint8 ``[H, W, 3]`` RGB image; raises naming the file if unreadable."""
    image = cv2.imread(path, cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError(f'Cannot read image {path}')
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
