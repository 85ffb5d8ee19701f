rule fit:
    """One model at one latent dimension: weights, metrics, the training history and the
    code of every frame (the first seed's fit; the process that fitted the model encodes
    the table too, rather than a job that would load the model and torch again).

    An autoencoder saves its training state to checkpoint.pt beside the outputs between
    epochs and resumes from it when the job runs again after being killed (time
    limit, lost node). The file is deliberately not an output: Snakemake deletes the
    outputs of a failed job, and it must survive that. It is removed when the fit ends.
    """
    input:
        table=rules.clean.output.table,
        report=rules.clean.output.report,
        truth=lambda w: truth_table(w.dataset),  # synthetic data only
    output:
        model=f"{RESULTS}/{{dataset}}/models/{{model}}-{{dim}}d/model.pt",
        metrics=f"{RESULTS}/{{dataset}}/models/{{model}}-{{dim}}d/metrics.json",
        history=f"{RESULTS}/{{dataset}}/models/{{model}}-{{dim}}d/history.csv",
        latent=f"{RESULTS}/{{dataset}}/models/{{model}}-{{dim}}d/latent.parquet",
    log:
        f"{RESULTS}/logs/{{dataset}}/fit-{{model}}-{{dim}}d.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{dataset}}/fit-{{model}}-{{dim}}d.tsv"
    # Pose fits first: they are the long ones, and the findings people wait for.
    priority: lambda w: jobs.fit_priority(config, w.dataset)
    threads: fit_threads
    resources:
        mem_mb=model_mem_mb,
        runtime=60,
        gpu=fit_gpus,
    params:
        cleandir=lambda w, input: os.path.dirname(input.table),
        outdir=lambda w, output: os.path.dirname(output.model),
        args=fit_args,
        truth=lambda w: truth_args(w.dataset),
        latent=latent_arg,
    # The log goes to the terminal too: a line per epoch, with the time left.
    shell:
        "killipose fit {params.cleandir:q} {params.outdir:q} --model {wildcards.model} "
        "--latent-dim {wildcards.dim} --threads {threads} {params.args} {params.truth} "
        "{params.latent} 2>&1 "
        "| tee {log:q} >&2"


use rule fit as fit_seed with:
    output:
        model=f"{RESULTS}/{{dataset}}/models/{{model}}-{{dim}}d/seed-{{seed}}/model.pt",
        metrics=f"{RESULTS}/{{dataset}}/models/{{model}}-{{dim}}d/seed-{{seed}}/metrics.json",
        history=f"{RESULTS}/{{dataset}}/models/{{model}}-{{dim}}d/seed-{{seed}}/history.csv",
    log:
        f"{RESULTS}/logs/{{dataset}}/fit-{{model}}-{{dim}}d-seed-{{seed}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{dataset}}/fit-{{model}}-{{dim}}d-seed-{{seed}}.tsv"


rule compare:
    """Every model at one latent dimension, every seed: metrics table and figure."""
    input:
        lambda w: seed_metrics(w.dataset, models_of(w.dataset), [w.dim]),
    output:
        figure=report(
            f"{RESULTS}/{{dataset}}/figures/comparison-{{dim}}d.png",
            caption="../report/comparison.rst",
            category="{dataset}",
            subcategory="2. Models",
            labels={"figure": "2. model comparison", "latent dim": "{dim}"},
        ),
        html=report(
            f"{RESULTS}/{{dataset}}/metrics-{{dim}}d.html",
            caption="../report/metrics.rst",
            category="{dataset}",
            subcategory="2. Models",
            labels={"figure": "1. metrics table", "latent dim": "{dim}"},
        ),
        csv=f"{RESULTS}/{{dataset}}/metrics-{{dim}}d.csv",
    log:
        f"{RESULTS}/logs/{{dataset}}/compare-{{dim}}d.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{dataset}}/compare-{{dim}}d.tsv"
    wildcard_constraints:
        dataset=POSE,
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        title=lambda w: f"{w.dataset}: test error at {w.dim}-D",
        assumptions=lambda w: jobs.assumptions(models_of(w.dataset)),  # for the captions
        synthetic=lambda w: bool(truth_table(w.dataset)),  # the panel against the truth
    shell:
        "killipose compare {input:q} --figure {output.figure:q} --csv {output.csv:q} "
        "--html {output.html:q} --title {params.title:q} 2> {log:q}"


rule findings:
    """What the run found, per dataset: the report's landing page, from the run's numbers."""
    input:
        jobs.findings_inputs(config),
    output:
        page=jobs.FINDINGS,
        metadata=jobs.REPORT_METADATA,
    log:
        f"{RESULTS}/logs/findings.log",
    localrule: True
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    params:
        links=jobs.report_links(config),
    shell:
        "killipose findings {output.page:q} --metadata {output.metadata:q} {input:q} "
        "{params.links} 2> {log:q}"


rule training_curves:
    """Training and validation error per epoch of every autoencoder fit at one dimension."""
    input:
        metrics=lambda w: seed_metrics(w.dataset, models_of(w.dataset), [w.dim]),
        histories=lambda w: jobs.histories(
            seed_metrics(w.dataset, models_of(w.dataset), [w.dim])
        ),
    output:
        report(
            f"{RESULTS}/{{dataset}}/figures/training-{{dim}}d.png",
            caption="../report/training.rst",
            category="{dataset}",
            subcategory="2. Models",
            labels={"figure": "3. training curves", "latent dim": "{dim}"},
        ),
    log:
        f"{RESULTS}/logs/{{dataset}}/training_curves-{{dim}}d.log",
    wildcard_constraints:
        dataset=POSE,
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        title=lambda w: f"{w.dataset}: training at {w.dim}-D",
    shell:
        "killipose plot-training {output:q} {input.metrics:q} --title {params.title:q} "
        "2> {log:q}"


use rule training_curves as mnist_training_curves with:
    input:
        metrics=lambda w: fit_metrics(w.dataset),
        histories=lambda w: jobs.histories(fit_metrics(w.dataset)),
    output:
        report(
            f"{RESULTS}/{{dataset}}/figures/training.png",
            caption="../report/training.rst",
            category="{dataset}",
            subcategory="1. Models",
            labels={"figure": "3. training curves"},
        ),
    log:
        f"{RESULTS}/logs/{{dataset}}/training_curves.log",
    wildcard_constraints:
        dataset=MNIST,
    params:
        title=lambda w: f"{w.dataset}: training of every autoencoder",


rule plot_room:
    """How much room there is: PCA's error at every code size, its scree, and each model's
    at the sizes of room_dims."""
    input:
        table=rules.clean.output.table,
        metrics=lambda w: jobs.room_metrics(config, w.dataset),
    output:
        report(
            f"{RESULTS}/{{dataset}}/figures/room.png",
            caption="../report/room.rst",
            category="{dataset}",
            subcategory="2. Models",
            labels={"figure": "4. error against code size", "latent dim": "all"},
        ),
    log:
        f"{RESULTS}/logs/{{dataset}}/plot_room.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{dataset}}/plot_room.tsv"
    wildcard_constraints:
        dataset=POSE,
    threads: 1
    resources:
        mem_mb=4000,
        runtime=10,
    params:
        cleandir=lambda w, input: os.path.dirname(input.table),
        max_dim=max(config["room_dims"]),
        room_dims=config["room_dims"],  # for the caption
        title=lambda w: f"{w.dataset}: test error against code size",
    shell:
        "killipose plot-room {params.cleandir:q} {output:q} {input.metrics:q} "
        "--max-dim {params.max_dim} --title {params.title:q} 2> {log:q}"
