import hashlib

import numpy as np
import pandas as pd
import pytest

from killipose.synthetic import BODY, make_killifish_table, make_killifish_tables

#: sha256 of make_killifish_table(frames=2000, seed=3)'s values (rounded to 1e-6 px, NaN
#: as -1: a last-bit difference of another machine's sin and cos does not count), taken
#: before the noise-free pose was added. The tracked table must never change with it.
TRACKED_2000_SEED_3 = "9c2d8f592aa1c1752c6ee4f0bab5da53e3afe5a8e3cb47b144f14f0903d9bdba"


def test_schema_matches_the_killifish_export(fish):
    expected = ["frame_count", "frame_timestamp"] + [
        f"{a}_{k}" for k in ("snout", "midbody", "sidebody", "endbody", "tail", "fan") for a in "xy"
    ]
    assert list(fish.columns) == expected
    assert fish["frame_count"].iloc[:2].isna().all()
    assert fish["frame_count"].iloc[2] == 2
    # dropped camera frames: the last count exceeds the number of rows
    assert fish["frame_count"].iloc[-1] == 3000
    assert len(fish) < 3001
    assert fish["x_sidebody"].isna().all() and fish["y_sidebody"].isna().all()
    assert np.all(np.diff(fish["frame_timestamp"]) > 0)
    assert fish["frame_timestamp"].iloc[0] > 1.6e9  # epoch seconds
    step = np.median(np.diff(fish["frame_timestamp"]))
    assert abs(step - 0.05) < 0.001


def test_same_seed_same_table_other_seed_other_table():
    a = make_killifish_table(frames=2000, seed=3)
    b = make_killifish_table(frames=2000, seed=3)
    c = make_killifish_table(frames=2000, seed=4)
    pd.testing.assert_frame_equal(a, b)
    assert not a["x_snout"].equals(c["x_snout"])


def test_fish_has_a_fish_body_and_beats_its_tail():
    fish = make_killifish_table(frames=20000, seed=0)
    length = np.hypot(fish.x_snout - fish.x_fan, fish.y_snout - fish.y_fan)
    assert 70 < np.nanmedian(length) < 85  # ~80 px snout to fan

    # lateral motion grows toward the fan: frame-to-frame movement relative to the midbody
    def wiggle(k):
        rel = fish[[f"x_{k}", f"y_{k}"]].to_numpy() - fish[["x_midbody", "y_midbody"]].to_numpy()
        return np.nanmedian(np.hypot(*np.diff(rel, axis=0).T))

    assert wiggle("endbody") < wiggle("tail") < wiggle("fan")
    # bouts and rests: the snout is still in some stretches and fast in others
    speed = np.hypot(*np.diff(fish[["x_snout", "y_snout"]].to_numpy(), axis=0).T)
    assert np.nanpercentile(speed, 20) < 1.5 < 3.0 < np.nanpercentile(speed, 90)
    assert set(BODY) == {"snout", "midbody", "sidebody", "endbody", "tail", "fan"}


def test_the_tracked_table_is_the_one_it_was_before_the_truth():
    table = make_killifish_table(frames=2000, seed=3)
    values = np.nan_to_num(np.round(table.to_numpy(), 6), nan=-1.0)
    assert hashlib.sha256(values.tobytes()).hexdigest() == TRACKED_2000_SEED_3
    tracked, _ = make_killifish_tables(frames=2000, seed=3)
    pd.testing.assert_frame_equal(tracked, table)
    assert tracked.attrs == table.attrs


def test_the_truth_is_the_tracked_rows_without_the_trackers_errors():
    tracked, truth = make_killifish_tables(frames=20000, seed=0)
    assert list(truth.columns) == list(tracked.columns)
    pd.testing.assert_frame_equal(
        truth[["frame_count", "frame_timestamp"]], tracked[["frame_count", "frame_timestamp"]]
    )
    assert truth.attrs["synthetic"] == tracked.attrs["synthetic"] | {"noise_free": True}
    points = [c for c in truth.columns if c[:2] in ("x_", "y_") and "sidebody" not in c]
    assert truth[["x_sidebody", "y_sidebody"]].isna().all().all()
    assert not truth[points].isna().any().any()  # no dropouts
    assert tracked[points].isna().any(axis=1).mean() > 0.01  # which the tracked table has
    # Row for row, the difference is the tracker's noise, 0.6 px per coordinate, plus the
    # rare jumps: a row off by one frame would add the fish's motion.
    noise = (tracked[points] - truth[points]).to_numpy().ravel()
    noise = noise[np.isfinite(noise)]
    assert np.median(np.abs(noise)) == pytest.approx(0.6 * 0.6745, rel=0.03)
    assert np.percentile(np.abs(noise), 99.9) < 0.6 * 3.6
    assert 0 < np.sum(np.abs(noise) > 10) <= 2  # the one jump (n // 20,000), x and y
