rule clean:
    """Drop untracked keypoints, repair short gaps, z-score with training statistics."""
    input:
        raw_table,
    output:
        table=f"{RESULTS}/{{dataset}}/clean/table.parquet",
        report=f"{RESULTS}/{{dataset}}/clean/report.json",
    log:
        f"{RESULTS}/logs/{{dataset}}/clean.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{dataset}}/clean.tsv"
    wildcard_constraints:
        dataset=POSE,
    priority: 10  # on the way to the pose fits, which go first (rule fit)
    threads: 1
    resources:
        mem_mb=clean_mem_mb,
        runtime=10,
    params:
        outdir=lambda w, output: os.path.dirname(output.table),
        max_nan_fraction=lambda w: settings(w.dataset)["clean"]["max_nan_fraction"],
        max_gap=lambda w: settings(w.dataset)["clean"]["max_gap"],
        max_jump=lambda w: settings(w.dataset)["clean"]["max_jump"],
        keypoints=lambda w: settings(w.dataset)["keypoints_arg"],
        fps=lambda w: settings(w.dataset)["fps_arg"],
        read=lambda w: settings(w.dataset)["read_args"],
        options=lambda w: settings(w.dataset)["clean_args"],
    shell:
        "killipose clean {input:q} {params.outdir:q} --max-nan-fraction {params.max_nan_fraction} "
        "--max-gap {params.max_gap} --max-jump {params.max_jump} --keypoints {params.keypoints:q} "
        "{params.fps} {params.read} {params.options} 2> {log:q}"


rule qc_missing:
    """Missing data over time per keypoint."""
    input:
        table=raw_table,
        clean=rules.clean.output.table,
    output:
        report(
            f"{RESULTS}/{{dataset}}/figures/qc-missing.png",
            caption="../report/qc_missing.rst",
            category="{dataset}",
            subcategory="1. Data quality",
            labels={"figure": "1. missing data over time"},
        ),
    log:
        f"{RESULTS}/logs/{{dataset}}/qc_missing.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{dataset}}/qc_missing.tsv"
    wildcard_constraints:
        dataset=POSE,
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        cleandir=lambda w, input: os.path.dirname(input.clean),
        read=lambda w: settings(w.dataset)["read_args"],
        # for the caption
        max_nan_fraction=lambda w: settings(w.dataset)["clean"]["max_nan_fraction"],
        max_gap=lambda w: settings(w.dataset)["clean"]["max_gap"],
    shell:
        "killipose qc {input.table:q} {params.cleandir:q} {output:q} {params.read} 2> {log:q}"


rule clean_summary:
    """The cleaning report as a page of the report."""
    input:
        rules.clean.output.report,
    output:
        report(
            f"{RESULTS}/{{dataset}}/clean/summary.html",
            caption="../report/clean_summary.rst",
            category="{dataset}",
            subcategory="1. Data quality",
            labels={"figure": "2. cleaning summary"},
        ),
    log:
        f"{RESULTS}/logs/{{dataset}}/clean_summary.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{dataset}}/clean_summary.tsv"
    wildcard_constraints:
        dataset=POSE,
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    shell:
        "killipose summarise-clean {input:q} {output:q} 2> {log:q}"
