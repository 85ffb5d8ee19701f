"""killipose: clean keypoint tables, compress poses with PCA and autoencoders, show them.

>>> import killipose as kp
>>> table = kp.read_table("data/fish.csv")
>>> clean = kp.clean_table(table)
>>> model = kp.models.make("nonlinear", latent_dim=4)
>>> model.fit(clean.matrix("train"), X_val=clean.matrix("val"))

Each name below is imported on first use: ``import killipose`` (which Snakemake does
when it reads the workflow, and every workflow job) does not load torch and
scikit-learn (~5 s) until a model is needed.
"""

import importlib

#: Where each public name lives.
_API = {
    "CleanTable": "killipose.cleaning.table",
    "InputError": "killipose.errors",
    "block_split": "killipose.split",
    "clean_table": "killipose.cleaning",
    "latent_table": "killipose.embedding",
    "load_clean": "killipose.cleaning.table",
    "make_killifish_table": "killipose.synthetic",
    "make_killifish_tables": "killipose.synthetic",
    "models": "killipose.models",
    "original_pixels": "killipose.embedding",
    "pose_metrics": "killipose.metrics",
    "read_table": "killipose.io",
    "reconstruct_pixels": "killipose.embedding",
    "reconstruction_metrics": "killipose.metrics",
    "stratified_split": "killipose.split",
    "truth_metrics": "killipose.metrics",
}
__all__ = list(_API)


def __getattr__(name: str):
    if name not in _API:
        raise AttributeError(f"module 'killipose' has no attribute {name!r}")
    module = importlib.import_module(_API[name])
    value = module if module.__name__ == f"{__name__}.{name}" else getattr(module, name)
    globals()[name] = value  # once imported, a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
