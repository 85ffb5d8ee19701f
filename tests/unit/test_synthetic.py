import numpy as np
import pandas as pd

from killipose.synthetic import BODY, make_killifish_table


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
