"""The workflow profiles: what the SLURM profile groups into one job per dataset."""

import re

import yaml

from tests.helpers import ROOT

SLURM = ROOT / "workflow" / "profiles" / "slurm" / "config.yaml"


def workflow_rules() -> set[str]:
    files = [ROOT / "Snakefile", *sorted((ROOT / "workflow" / "rules").glob("*.smk"))]
    text = "\n".join(f.read_text() for f in files)
    return set(re.findall(r"^(?:rule|use rule \w+ as) (\w+)", text, flags=re.MULTILINE))


def test_slurm_profile_groups_the_steps_before_and_after_the_fits():
    # A rule left out would run as its own SLURM job: correct, only ~14 s a job slower.
    profile = yaml.safe_load(SLURM.read_text())
    before = {"synthesise", "clean"}  # before the fits, which wait for them: one job
    alone = {
        "prepare_mnist",  # before the MNIST fits
        *("fit", "fit_seed"),  # each fit its own job, with its threads, memory and GPU
        *("findings", "all"),  # local: on the submitting machine
    }
    rules = workflow_rules()
    assert alone | before < rules
    assert set(profile["groups"]) == rules - alone
    groups = {rule: name for rule, name in profile["groups"].items() if rule not in before}
    # One group per dataset (its name holds the dataset), every part of it in one job
    assert set(groups.values()) == {"after-fits-{dataset}"}
    assert {profile["groups"][rule] for rule in before} == {"before-fits-{dataset}"}
    assert profile["group-components"]["after-fits-{dataset}"] >= 100
    # ... whose steps run one at a time, so it asks for one CPU, not one per step
    assert profile["resources"]["group_slots"] == profile["default-resources"]["group_slots"]
    assert profile["set-resource-scopes"] == {"group_slots": "local"}
