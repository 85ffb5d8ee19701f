import importlib
import json
import os
import shlex
import subprocess
import sys

import pytest

from killipose.cli import EXAMPLES, build_parser, main
from tests.helpers import ROOT, timeout

#: The synthetic table's settings, which the workflow always passes.
SYNTH = ("--frames", "2000", "--fps", "20", "--seed", "0")
FIT_ARGS = ("--seed", "0", "--threads", "1")


def run_cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "killipose.cli", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout("cli_error"),
    )


def test_user_mistake_is_one_line_exit_2_and_no_output(tmp_path):
    result = run_cli("clean", tmp_path / "missing.csv", tmp_path / "out")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"killipose: error: {tmp_path / 'missing.csv'}: no such file"
    ]
    assert not (tmp_path / "out").exists()


def test_synth_clean_fit_embed_from_the_command_line(tmp_path, monkeypatch):
    assert main(["synth", str(tmp_path / "s.parquet"), *SYNTH]) == 0
    assert main(["clean", str(tmp_path / "s.parquet"), str(tmp_path / "clean")]) == 0
    report = json.loads((tmp_path / "clean" / "report.json").read_text())
    assert report["dropped_columns"] == {"x_sidebody": "all NaN", "y_sidebody": "all NaN"}
    assert (
        main(
            [
                "fit",
                str(tmp_path / "clean"),
                str(tmp_path / "m"),
                "--model",
                "linear",
                "--latent-dim",
                "4",
                *("--seed", "0", "--threads", "1"),
                "--param",
                "epochs=2",
                "--param",
                "batch-size=256",
                *("--latent", str(tmp_path / "fitted-latent.parquet")),
            ]
        )
        == 0
    )
    metrics = json.loads((tmp_path / "m" / "metrics.json").read_text())
    for key in (
        "model",
        "latent_dim",
        "train_mse",
        "val_mse",
        "test_mse",
        "explained_variance",
        "n_train",
        "n_val",
        "n_test",
        "fit_seconds",
        "seed",
        "test_rmse_px",
    ):
        assert key in metrics
    assert metrics["model"] == "linear" and metrics["latent_dim"] == 4
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == [
        "history.csv",
        "metrics.json",
        "model.pt",
    ]
    # Embedding goes a piece of the table at a time: the pieces make the whole code; the
    # fit's own (--latent) is the saved model's.
    monkeypatch.setattr("killipose.cli.fit.EMBED_ROWS", 300)
    assert (
        main(
            [
                "embed",
                str(tmp_path / "clean"),
                str(tmp_path / "m" / "model.pt"),
                str(tmp_path / "m" / "latent.parquet"),
            ]
        )
        == 0
    )
    import pandas as pd

    from killipose import load_clean, models
    from killipose.embedding import latent_table

    whole = latent_table(models.load(tmp_path / "m" / "model.pt"), load_clean(tmp_path / "clean"))
    written = pd.read_parquet(tmp_path / "m" / "latent.parquet")
    assert len(whole) > 300 * 6
    pd.testing.assert_frame_equal(written, whole)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "fitted-latent.parquet"), whole)
    assert pq_row_groups(tmp_path / "m" / "latent.parquet") == -(-len(whole) // 300)


def pq_row_groups(path) -> int:
    import pyarrow.parquet as pq

    return pq.ParquetFile(path).metadata.num_row_groups


def test_latent_dim_too_large_is_a_clear_error(tmp_path, capsys):
    main(["synth", str(tmp_path / "s.parquet"), *SYNTH])
    main(["clean", str(tmp_path / "s.parquet"), str(tmp_path / "clean")])
    status = main(
        [
            "fit",
            str(tmp_path / "clean"),
            str(tmp_path / "m"),
            "--model",
            "pca",
            "--latent-dim",
            "10",
            *("--seed", "0", "--threads", "1"),
        ]
    )
    assert status == 2
    assert "latent_dim must be between 1 and the number of features - 1 (9), got 10" in (
        capsys.readouterr().err
    )
    assert not (tmp_path / "m").exists() or not any((tmp_path / "m").iterdir())


@pytest.mark.parametrize("command", sorted(EXAMPLES))
def test_every_subcommand_has_help_with_an_example(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args([command, "--help"])
    assert exit_.value.code == 0
    assert EXAMPLES[command] in capsys.readouterr().out.replace("\n  ", " ")
    # and the example is a command line the parser takes as it is
    build_parser().parse_args(shlex.split(EXAMPLES[command])[1:])


def test_synth_same_seed_same_file(tmp_path):
    for name in ("a", "b"):
        assert main(["synth", str(tmp_path / f"{name}.parquet"), *SYNTH]) == 0
    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()
    main(["synth", str(tmp_path / "c.parquet"), *SYNTH[:-1], "1"])
    assert (tmp_path / "a.parquet").read_bytes() != (tmp_path / "c.parquet").read_bytes()


def test_synth_writes_the_truth_and_fit_scores_against_it(tmp_path, capsys):
    truth = tmp_path / "truth.parquet"
    assert main(["synth", str(tmp_path / "s.parquet"), *SYNTH, "--truth", str(truth)]) == 0
    assert main(["synth", str(tmp_path / "alone.parquet"), *SYNTH]) == 0
    # the tracked table is the same file with or without its truth
    assert (tmp_path / "s.parquet").read_bytes() == (tmp_path / "alone.parquet").read_bytes()
    assert main(["clean", str(tmp_path / "s.parquet"), str(tmp_path / "clean")]) == 0
    fit = ["fit", str(tmp_path / "clean"), "--model", "pca", "--latent-dim", "4", *FIT_ARGS]
    assert main([*fit[:2], str(tmp_path / "m"), *fit[2:], "--truth", str(truth)]) == 0
    metrics = json.loads((tmp_path / "m" / "metrics.json").read_text())
    assert 0.65 < metrics["noise_floor_px"] < 0.85  # 0.6 px per coordinate: 0.75 px
    assert metrics["truth_test_error_px"] > 0 and metrics["truth_test_mse"] > 0
    assert 0 < metrics["noise_floor_mse"] < metrics["test_mse"]
    assert main([*fit[:2], str(tmp_path / "plain"), *fit[2:]]) == 0
    plain = json.loads((tmp_path / "plain" / "metrics.json").read_text())
    assert not {k for k in plain if k.startswith(("truth", "noise_floor"))}
    # the truth of another recording: one line naming the file
    other = tmp_path / "other.parquet"
    main(
        [
            "synth",
            str(tmp_path / "x.parquet"),
            "--frames",
            "1000",
            *SYNTH[2:],
            "--truth",
            str(other),
        ]
    )
    capsys.readouterr()
    assert main([*fit[:2], str(tmp_path / "bad"), *fit[2:], "--truth", str(other)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"killipose: error: --truth {other}: the noise-")


CONFIG = ROOT / "config" / "config.yaml"
SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"


def test_the_workflow_and_commands_without_a_model_start_without_torch():
    """Snakemake imports killipose to read the workflow, and most jobs need no model:
    torch and scikit-learn (~5 s) load only when a model is used, and matplotlib (~1 s)
    only when a command draws."""
    heavy = ("matplotlib", "sklearn", "torch")
    for name in heavy:  # the names to look for: importing them here puts them in sys.modules
        assert importlib.import_module(name).__name__ in sys.modules
    code = (
        "import sys, yaml, killipose, killipose.cli, killipose.config\n"
        # the checks each Snakemake start (each SLURM job) runs on the default config
        f"config = yaml.safe_load(open({str(CONFIG)!r}))\n"
        f"killipose.config.validate_config(config, {str(SCHEMA)!r})\n"
        "killipose.config.check_config(config)\n"
        "[killipose.config.train_params(config, d, m) for d in config['run']"
        " for m in killipose.config.dataset_settings(config, d)['models']]\n"
        f"print(sorted(set({heavy}) & set(sys.modules)), 'killipose.cli' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout("cli_error")
    )
    assert result.stdout.strip() == "[] True", result.stderr


@pytest.mark.parametrize("given, used", [(None, "PASSIVE"), ("ACTIVE", "ACTIVE")])
def test_commands_run_torch_with_sleeping_not_spinning_threads(given, used):
    """OpenMP reads OMP_WAIT_POLICY when torch loads: the command sets PASSIVE before any
    command imports torch, unless the user chose a policy."""
    code = (
        "import os, sys, killipose.cli as cli\n"
        "def cmd_embed(args):\n"
        "    '''Show the policy.'''\n"
        "    import torch\n"  # what a fit does: the policy must be set by now
        "    print(os.environ.get('OMP_WAIT_POLICY'), torch.get_num_threads() >= 1)\n"
        "cli.fit.cmd_embed = cmd_embed\n"
        "sys.exit(cli.main(['embed', 'a', 'b', 'c']))"
    )
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    env |= {"OMP_WAIT_POLICY": given} if given else {}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env,
        timeout=timeout("cli_error"),
    )  # fmt: skip
    assert result.stdout.strip() == f"{used} True", result.stderr
