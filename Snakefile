# killipose: clean keypoint tables, fit PCA and autoencoders, render reconstructions.
# This file only wires things up; every step is a `killipose` command (see workflow/rules).
from snakemake.utils import min_version

from killipose.jobs import landing_page

min_version("9.0")


configfile: "config/config.yaml"


# The report opens on what the run found (results/findings.rst, written last).
report: landing_page("workflow/report/workflow.rst")


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/clean.smk"
include: "workflow/rules/fit.smk"
include: "workflow/rules/render.smk"
include: "workflow/rules/generate.smk"
include: "workflow/rules/mnist.smk"


rule all:
    default_target: True
    input:
        all_outputs(),
