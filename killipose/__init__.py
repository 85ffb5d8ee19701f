"""killipose: clean keypoint tables, compress poses with PCA and autoencoders, show them.

>>> import killipose as kp
>>> table = kp.read_table("data/fish.csv")
>>> clean = kp.clean_table(table)
>>> model = kp.models.make("nonlinear", latent_dim=4)
>>> model.fit(clean.matrix("train"), clean.matrix("val"))
"""

from killipose import models
from killipose.cleaning import CleanTable, clean_table, load_clean
from killipose.embedding import latent_table, original_pixels, reconstruct_pixels
from killipose.errors import InputError
from killipose.io import read_table
from killipose.metrics import pose_metrics, reconstruction_metrics
from killipose.split import block_split, stratified_split
from killipose.synthetic import make_killifish_table

__all__ = [
    "CleanTable",
    "InputError",
    "block_split",
    "clean_table",
    "latent_table",
    "load_clean",
    "make_killifish_table",
    "models",
    "original_pixels",
    "pose_metrics",
    "read_table",
    "reconstruct_pixels",
    "reconstruction_metrics",
    "stratified_split",
]
