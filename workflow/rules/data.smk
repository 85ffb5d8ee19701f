rule synthesise:
    """A synthetic killifish table, when the configured data file is absent, and its
    noise-free pose (the models are scored against it too)."""
    output:
        table=f"{RESULTS}/{{dataset}}/synthetic.parquet",
        truth=f"{RESULTS}/{{dataset}}/synthetic-truth.parquet",
    log:
        f"{RESULTS}/logs/{{dataset}}/synthesise.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{dataset}}/synthesise.tsv"
    wildcard_constraints:
        dataset=POSE,
    priority: 10  # on the way to the pose fits, which go first (rule fit)
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        frames=lambda w: settings(w.dataset)["synthetic"]["frames"],
        fps=lambda w: settings(w.dataset)["synthetic"]["fps"],
        seed=lambda w: settings(w.dataset)["synthetic"]["seed"],
    shell:
        "killipose synth {output.table:q} --frames {params.frames} --fps {params.fps} "
        "--seed {params.seed} --truth {output.truth:q} 2> {log:q}"
