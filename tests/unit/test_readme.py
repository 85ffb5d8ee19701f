"""The README's Python example runs exactly as written."""

import re

from tests.helpers import ROOT

README = ROOT / "README.md"


def test_readme_python_example_runs(tmp_path, monkeypatch):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert len(blocks) == 1
    monkeypatch.chdir(tmp_path)
    exec(compile(blocks[0], "README.md", "exec"), {})
    assert (tmp_path / "nonlinear-4d.pt").is_file()
    assert (tmp_path / "latents.png").stat().st_size > 10_000
