"""What a training checkpoint holds besides the weights: the fingerprint that says which
training it belongs to, and its tensors moved to the CPU (see killipose.models.training)."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import torch


def training_fingerprint(
    module: torch.nn.Module, data: dict, settings: dict, extra: dict | None = None
) -> dict:
    """What a checkpoint must match to be resumed, as a flat dict of JSON values.

    ``settings`` (training) and ``extra`` (e.g. model hyper-parameters) as given, the
    module's class and parameter shapes, and for each tensor (or ``None``) in ``data`` its
    dtype, shape and SHA-256 (~0.1 s per 100 MB).
    """
    found = {f"training.{k}": v for k, v in settings.items()}
    found |= {f"model.{k}": v for k, v in (extra or {}).items()}
    found["module"] = type(module).__name__ + "".join(
        f" {name}{list(value.shape)}" for name, value in module.state_dict().items()
    )
    for name, tensor in data.items():
        if tensor is not None:
            array = np.ascontiguousarray(tensor.detach().cpu().numpy())
            digest = hashlib.sha256(array).hexdigest()
            found[f"data.{name}"] = f"{array.dtype}{list(array.shape)} sha256:{digest}"
    # Through JSON, so tuples and lists, or int and float keys, compare as they will load.
    return json.loads(json.dumps(found, sort_keys=True, default=str))


def on_cpu(value):
    """``value`` with every tensor in it (in dicts, lists, tuples) moved to the CPU."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu()
    if isinstance(value, dict):
        return {k: on_cpu(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(on_cpu(v) for v in value)
    return value
