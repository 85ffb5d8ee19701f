"""The workflow's glue: what each job is asked to do (paths, flags, threads, memory)."""

import shlex

import pytest

from killipose import jobs
from killipose.config import validate_config
from tests.helpers import ROOT

SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"


def config_of(**top) -> dict:
    config = {
        "run": ["fish"],
        "datasets": {"fish": {"kind": "pose", "path": "fish.csv"}},
        "seed": 3,
        "seeds": 2,
        "train": {"epochs": 7, "threads": 4, "gpus": 1},
        "model_params": {"nonlinear": {"hidden": [16, 8], "threads": 2, "lr": 0.01}},
    } | top
    validate_config(config, SCHEMA)
    return config


def test_fit_args_carry_the_seed_and_each_setting_once_quoted():
    config = config_of()
    args = shlex.split(jobs.fit_args(config, "fish", "nonlinear"))
    assert args[:2] == ["--seed", "3"]  # the dataset's first seed
    params = dict(a.split("=", 1) for a in args[3::2])
    assert args[2::2] == ["--param"] * len(params)
    # train, then model_params over it; a list as the command line takes it; the job's
    # threads and GPUs are the rule's, not the model's
    assert params == {"epochs": "7", "device": "auto", "hidden": "[16,8]", "lr": "0.01"}
    assert shlex.split(jobs.fit_args(config, "fish", "nonlinear", seed=4))[:2] == ["--seed", "4"]
    # PCA takes none of train's keys
    assert jobs.fit_args(config, "fish", "pca") == "--seed 3"


def test_threads_and_gpus_per_fit():
    config = config_of()
    assert jobs.fit_threads(config, "fish", "pca") == 1
    assert jobs.fit_threads(config, "fish", "linear") == 4
    assert jobs.fit_threads(config, "fish", "nonlinear") == 2  # model_params wins
    assert jobs.fit_gpus(config, "fish", "pca") == 0
    assert jobs.fit_gpus(config, "fish", "linear") == 1
    assert jobs.fit_gpus(config_of(train={}), "fish", "linear") == 0  # the schema's default


@pytest.mark.parametrize(
    ("table", "size_mb", "expected"),
    [
        ("t.csv", 100, 3000),  # the floor
        ("t.csv", 2000, 4000),  # 1000 + 1.5 x
        ("t.parquet", 2000, 9000),  # 1000 + 4 x
        ("t.pq", 500, 3000),
    ],
)
def test_cleaning_asks_for_memory_by_the_tables_size(table, size_mb, expected):
    assert jobs.clean_mem_mb(table, size_mb) == expected


@pytest.mark.parametrize(
    ("size_mb", "expected"),
    [(100, 2000), (146, 2000), (1460, 9760)],  # the floor; 1.7M frames; 17M: 1000 + 6 x
)
def test_fits_and_embeddings_ask_for_memory_by_the_tables_size(size_mb, expected):
    assert jobs.model_mem_mb(size_mb) == expected


def test_every_seed_gets_its_own_folder_but_pca_is_fitted_once():
    config = config_of()
    assert jobs.model_dir(config, "fish", "linear", 4) == "results/fish/models/linear-4d"
    assert jobs.model_dir(config, "fish", "linear", 4, 3) == "results/fish/models/linear-4d"
    assert jobs.model_dir(config, "fish", "linear", 4, "4") == (
        "results/fish/models/linear-4d/seed-4"
    )
    assert jobs.seed_metrics(config, "fish", ["pca", "linear"], [2]) == [
        "results/fish/models/pca-2d/metrics.json",
        "results/fish/models/linear-2d/metrics.json",
        "results/fish/models/linear-2d/seed-4/metrics.json",
    ]


def test_the_room_figure_reads_every_fit_and_one_more_of_each_model_at_each_room_size():
    config = config_of(room_dims=[2, 4], models=["pca", "nonlinear"])
    assert jobs.room_metrics(config, "fish") == [
        *jobs.fit_metrics(config, "fish"),  # 4-D: every seed of each
        "results/fish/models/pca-2d/metrics.json",
        "results/fish/models/nonlinear-2d/metrics.json",  # the first seed's only
    ]
    assert jobs.fit_metrics(config, "fish")[-1] == (
        "results/fish/models/nonlinear-4d/seed-4/metrics.json"
    )
    # The fold design (the nonlinear AE's on poses) has no 1-D code; an MLP has.
    config = config_of(room_dims=[1, 4], models=["pca", "nonlinear"])
    assert jobs.room_metrics(config, "fish")[-1] == "results/fish/models/pca-1d/metrics.json"
    mlp = {"nonlinear": {"design": "mlp"}}
    config = config_of(room_dims=[1, 4], models=["pca", "nonlinear"], model_params=mlp)
    assert jobs.room_metrics(config, "fish")[-1] == (
        "results/fish/models/nonlinear-1d/metrics.json"
    )


def test_the_raw_table_is_the_users_or_the_synthetic_one(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = config_of()
    assert jobs.raw_table(config, "fish") == "fish.csv"  # absent, no synthetic: as given
    config["datasets"]["fish"]["synthetic"] = {"frames": 500, "fps": 20, "seed": 0}
    assert jobs.raw_table(config, "fish") == "results/fish/synthetic.parquet"
    (tmp_path / "fish.csv").write_text("x_a,y_a\n1,2\n")
    assert jobs.raw_table(config, "fish") == "fish.csv"  # present: the user's
    assert jobs.user_path("-x.csv") == "./-x.csv"  # never read as an option


def test_only_a_synthetic_table_has_a_truth_to_score_against(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = config_of()
    assert jobs.truth_table(config, "fish") == [] and jobs.truth_args(config, "fish") == ""
    config["datasets"]["fish"]["synthetic"] = {"frames": 500, "fps": 20, "seed": 0}
    assert jobs.truth_table(config, "fish") == ["results/fish/synthetic-truth.parquet"]
    assert jobs.truth_args(config, "fish") == "--truth results/fish/synthetic-truth.parquet"
    (tmp_path / "fish.csv").write_text("x_a,y_a\n1,2\n")
    assert jobs.truth_table(config, "fish") == []  # the user's file: no truth


def test_wildcard_patterns_and_name_arguments():
    assert jobs.one_of(["a", "b"]) == "a|b"
    assert jobs.one_of([]) == r"(?!x)x"
    assert jobs.name_args("model", ["pca", "vae"], ["a b/m.pt", "c.pt"]) == (
        "--model pca='a b/m.pt' --model vae=c.pt"
    )


def test_rule_all_asks_each_kind_for_its_outputs():
    config = config_of(run=["fish"], latent_dims=[2, 3])
    out = jobs.all_outputs(config)
    assert "results/fish/figures/comparison-2d.png" in out
    assert "results/fish/animations/reconstruction-3d.mp4" in out
    assert not any("mnist" in p for p in out)


def test_pose_fits_go_before_the_others():
    config = config_of(
        run=["fish", "digits"],
        datasets={
            "fish": {"kind": "pose", "path": "fish.csv"},
            "digits": {"kind": "mnist", "path": "mnist"},
        },
    )
    assert jobs.fit_priority(config, "fish") > jobs.fit_priority(config, "digits")
