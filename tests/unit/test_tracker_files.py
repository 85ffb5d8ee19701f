"""Tracker files through the command line: ``killipose info``, confidence, animals, errors."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from killipose import InputError, clean_table, read_table
from killipose.cli import main
from killipose.io import format_names
from killipose.io.poses import Poses
from tests.helpers import DATA, ROOT

DLC_H5 = DATA / "deeplabcut/m3v1mp4DLC_resnet50_openfieldAug20shuffle1_30000.h5"
FLIES = DATA / "sleap/centered_pair_predictions.slp"
NWB = DATA / "nwb/m3v1mp4DLC_resnet50_openfieldAug20shuffle1_30000.nwb"
KILLIPOSE = Path(sys.executable).parent / "killipose"


def snapshot(folder: Path) -> dict:
    return {p: p.stat().st_mtime_ns for p in folder.rglob("*")}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (
            DLC_H5,
            [
                "format: DeepLabCut CSV or H5 (deeplabcut)",
                "frames: 2330",
                "time: no time in the file: set fps; frame numbers 0 to 2329",
                "keypoints (4): snout, leftear, rightear, tailbase",
                "individuals (1): animal (100% of frames tracked)",
                "confidence: likelihood, min 0.777, median 0.999, max 1; 0.0% below the "
                "default min_confidence 0.6",
                "missing: snout 0.0%, leftear 0.0%, rightear 0.0%, tailbase 0.0%",
            ],
        ),
        (
            FLIES,
            [
                "format: SLEAP .slp (sleap)",
                "frames: 1100",
                "individuals (27): 1 (100% of frames tracked), 2 (100% of frames tracked), 3 (0%",
                "confidence: score, min 0, median 0.765, max 1.35; no default min_confidence",
                "missing of 1: head 0.5%, neck 0.5%",
                "missing: 23 more individuals, less tracked, not shown",
                "note: 27 tracks but at most 5 tracked in any frame: the tracks look fragmented",
            ],
        ),
        (NWB, ["format: NWB file with ndx-pose (nwb)", "individuals (1): ind1 (100%"]),
    ],
    ids=["deeplabcut-h5", "sleap-27-tracks", "nwb"],
)
def test_info_says_what_a_file_holds_and_writes_nothing(
    tmp_path, monkeypatch, capsys, path, expected
):
    monkeypatch.chdir(tmp_path)
    before = snapshot(path.parent), snapshot(tmp_path)
    assert main(["info", str(path)]) == 0
    out = capsys.readouterr().out
    for line in expected:
        assert line in out, out
    assert (snapshot(path.parent), snapshot(tmp_path)) == before


def test_info_on_a_file_it_cannot_read_is_one_line_and_status_2(tmp_path, capsys):
    bad = tmp_path / "x.slp"
    bad.write_text("not hdf5")
    assert main(["info", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"killipose: error: {bad}: ") and "\n" not in err


def test_a_file_with_several_animals_asks_for_one_and_lists_them(tmp_path, capsys):
    assert main(["clean", str(FLIES), str(tmp_path / "out"), "--fps", "30"]) == 2
    err = capsys.readouterr().err
    assert "27 individuals, choose one with individual (--individual): 1 (100%), 2 (100%)" in err
    assert "fragmented" in err and not (tmp_path / "out").exists()
    with pytest.raises(InputError, match=r"no individual 'fly3'; it has 1 \(100%\)"):
        read_table(FLIES, individual="fly3")
    one = read_table(FLIES, individual="2")
    assert one.attrs["read"] == {"format": "sleap", "individual": "2", "individuals": 27}


def test_a_named_format_reads_the_file_as_that_format(tmp_path):
    assert read_table(DLC_H5, format="deeplabcut").shape == read_table(DLC_H5).shape
    with pytest.raises(InputError, match="unknown format 'dlc' \\(known: auto, "):
        read_table(DLC_H5, format="dlc")


def poses_with_confidence(n=300) -> Poses:
    """Two still keypoints; ``b`` is scored 0.3 in every third frame, ``c`` always 0.5."""
    position = np.broadcast_to(np.array([[0.0, 0], [10, 0], [20, 0]]), (n, 1, 3, 2)).copy()
    position += np.random.default_rng(0).normal(0, 0.1, position.shape)
    confidence = np.full((n, 1, 3), 0.95)
    confidence[::3, 0, 1] = 0.3
    confidence[:, 0, 2] = 0.5
    return Poses(
        position,
        ["a", "b", "c"],
        ["animal"],
        "deeplabcut",
        confidence=confidence,
        confidence_kind="likelihood",
        min_confidence=0.6,
    )


def test_low_confidence_points_go_missing_before_gaps_and_dropping():
    table = poses_with_confidence().to_table()
    clean = clean_table(table, fps=30, max_gap=10)
    # The format's default 0.6: c (scored 0.5 everywhere) is dropped as mostly missing,
    # b's one-frame holes are interpolated (but the first, in frame 0: nothing before it).
    assert clean.report["confidence"]["masked_per_keypoint"] == {"a": 0, "b": 100, "c": 300}
    assert clean.report["confidence"]["threshold_from"] == "the format's default"
    assert set(clean.report["dropped_columns"]) == {"x_c", "y_c"}
    assert clean.report["values_filled"] == 2 * 99
    # A threshold given wins; 0 keeps every point.
    assert clean_table(table, fps=30, min_confidence=0.4).report["dropped_columns"] == {}
    kept = clean_table(table, fps=30, min_confidence=0)
    assert kept.report["values_filled"] == 0 and "masked_points" not in kept.report["confidence"]
    with pytest.raises(InputError, match=r"clean\.min_confidence must be a number >= 0"):
        clean_table(table, fps=30, min_confidence=-1)


def test_min_confidence_on_the_command_line(tmp_path):
    out = tmp_path / "clean"
    assert main(["clean", str(DLC_H5), str(out), "--fps", "30", "--min-confidence", "0.9"]) == 0
    report = json.loads((out / "report.json").read_text())
    assert report["confidence"]["min_confidence"] == 0.9
    masked = report["confidence"]["masked_per_keypoint"]
    likelihood = read_table(DLC_H5)
    assert masked == {k: int((likelihood[f"confidence_{k}"] < 0.9).sum()) for k in masked}
    assert sum(masked.values()) > 0


def test_every_module_of_the_io_package_is_a_registered_format():
    """Adding a format is one module: the package imports it, and its names are known."""
    import pkgutil

    import killipose.io as io

    modules = {m.name for m in pkgutil.iter_modules(io.__path__)} - io._SUPPORT_MODULES
    registered = {fmt.read.__module__.rsplit(".", 1)[1] for fmt in io.FORMATS.values()}
    assert registered == modules
    assert list(io.FORMATS)[-1] == "wide"  # the generic reader's sniffer is tried last


@pytest.mark.parametrize("fmt", format_names())
def test_the_config_takes_every_registered_format_and_only_those(fmt):
    from killipose.config import validate_config

    schema = ROOT / "workflow/schemas/config.schema.yaml"
    config = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    name = config["run"][0]
    config["datasets"][name]["format"] = fmt
    validate_config(config, schema)
    config["datasets"][name]["format"] = "deeplabcutt"
    with pytest.raises(InputError, match=rf"datasets\.{name}\.format: 'deeplabcutt' is not one of"):
        validate_config(config, schema)


def test_rejected_files_never_abort_when_commands_run_at_once(tmp_path):
    """Three shell loops of a rejected CSV at once, as Snakemake jobs run: each run exits
    2 with one line (a native reader thread alive at exit once aborted with status 134)."""
    (tmp_path / "two.csv").write_text("a,b\n1,2\n3,4\n")
    loop = f"for i in $(seq 4); do {KILLIPOSE} clean two.csv out$i 2>/dev/null; echo $?; done"
    loops = [
        subprocess.Popen(["bash", "-c", loop], cwd=tmp_path, stdout=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    statuses = [s for p in loops for s in p.communicate(timeout=600)[0].split()]
    assert statuses == ["2"] * 12
    assert sorted(p.name for p in tmp_path.iterdir()) == ["two.csv"]
