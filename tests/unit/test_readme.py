"""The README's Python example runs exactly as written."""

import re

import numpy as np
from PIL import Image

from tests.helpers import ROOT

README = ROOT / "README.md"


def test_readme_python_example_runs(tmp_path, monkeypatch):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert len(blocks) == 1
    monkeypatch.chdir(tmp_path)
    exec(compile(blocks[0], "README.md", "exec"), {})
    assert (tmp_path / "nonlinear-4d.pt").is_file()
    assert (tmp_path / "latents.png").stat().st_size > 10_000
    # Four traces over time beside the two paths in (z1, z2) and (z3, z4), coloured by time.
    image = np.asarray(Image.open(tmp_path / "latents.png").convert("RGB")).astype(int)
    height, width, _ = image.shape
    assert width > 2 * height
    assert (image.max(axis=2) - image.min(axis=2) > 60).mean() > 0.002  # not only grey
