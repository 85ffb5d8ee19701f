rule prepare_mnist:
    """MNIST IDX files as a table of digits with their split (the fallback or standard)."""
    input:
        lambda w: user_path(settings(w.dataset)["path"]),
    output:
        table=f"{RESULTS}/{{dataset}}/clean/table.parquet",
        report=f"{RESULTS}/{{dataset}}/clean/report.json",
    log:
        f"{RESULTS}/logs/{{dataset}}/prepare_mnist.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{dataset}}/prepare_mnist.tsv"
    wildcard_constraints:
        dataset=MNIST,
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        outdir=lambda w, output: os.path.dirname(output.table),
        seed=config["seed"],
    shell:
        "killipose prepare-mnist {input:q} {params.outdir:q} --seed {params.seed} 2> {log:q}"


rule mnist_metrics:
    """Every model at every dimension: the metrics table and test error against dimension."""
    input:
        lambda w: fit_metrics(w.dataset),
    output:
        figure=report(
            f"{RESULTS}/{{dataset}}/figures/error-vs-dim.png",
            caption="../report/mnist_error_vs_dim.rst",
            category="{dataset}",
            subcategory="1. Models",
            labels={"figure": "2. test error against dimension"},
        ),
        html=report(
            f"{RESULTS}/{{dataset}}/metrics.html",
            caption="../report/mnist_metrics.rst",
            category="{dataset}",
            subcategory="1. Models",
            labels={"figure": "1. metrics table"},
        ),
        csv=f"{RESULTS}/{{dataset}}/metrics.csv",
    log:
        f"{RESULTS}/logs/{{dataset}}/mnist_metrics.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{dataset}}/mnist_metrics.tsv"
    wildcard_constraints:
        dataset=MNIST,
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        title=lambda w: f"{w.dataset}: test error of every model",
        # for the caption
        assumptions=lambda w: jobs.assumptions(
            dict.fromkeys(m for m, _ in mnist_fits(w.dataset))
        ),
    shell:
        "killipose compare {input:q} --figure {output.figure:q} --csv {output.csv:q} "
        "--html {output.html:q} --title {params.title:q} 2> {log:q}"


rule mnist_reconstructions:
    """The same test digits reconstructed by every model at every dimension."""
    input:
        table=rules.prepare_mnist.output.table,
        models=lambda w: [
            f"{model_dir(w.dataset, m, d)}/model.pt"
            for m in settings(w.dataset)["models"]
            for d in settings(w.dataset)["latent_dims"]
        ],
    output:
        report(
            f"{RESULTS}/{{dataset}}/figures/reconstructions.png",
            caption="../report/mnist_reconstructions.rst",
            category="{dataset}",
            subcategory="2. Reconstructions",
            labels={"figure": "reconstructions"},
        ),
    log:
        f"{RESULTS}/logs/{{dataset}}/mnist_reconstructions.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{dataset}}/mnist_reconstructions.tsv"
    wildcard_constraints:
        dataset=MNIST,
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        cleandir=lambda w, input: os.path.dirname(input.table),
        models=lambda w, input: name_args(
            "model",
            [
                m
                for m in settings(w.dataset)["models"]
                for d in settings(w.dataset)["latent_dims"]
            ],
            input.models,
        ),
        title=lambda w: f"{w.dataset}: test digits and their reconstructions",
    shell:
        "killipose mnist-reconstructions {params.cleandir:q} {output:q} {params.models} "
        "--title {params.title:q} 2> {log:q}"


rule mnist_maps:
    """Encoder map (test digits in the 2-D code) and decoder grid of each 2-D model."""
    input:
        models=lambda w: [
            f"{model_dir(w.dataset, m, 2)}/model.pt"
            for m in settings(w.dataset)["models"]
        ],
        latents=lambda w: [
            f"{model_dir(w.dataset, m, 2)}/latent.parquet"
            for m in settings(w.dataset)["models"]
        ],
    output:
        map=report(
            f"{RESULTS}/{{dataset}}/figures/encoder-map-2d.png",
            caption="../report/mnist_encoder_map.rst",
            category="{dataset}",
            subcategory="3. Latent space",
            labels={"figure": "1. encoder map"},
        ),
        grid=report(
            f"{RESULTS}/{{dataset}}/figures/decoder-grid-2d.png",
            caption="../report/mnist_decoder_grid.rst",
            category="{dataset}",
            subcategory="3. Latent space",
            labels={"figure": "2. decoder grid"},
        ),
    log:
        f"{RESULTS}/logs/{{dataset}}/mnist_maps.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{dataset}}/mnist_maps.tsv"
    wildcard_constraints:
        dataset=MNIST,
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        args=lambda w, input: name_args("model", models_of(w.dataset), input.models)
        + " "
        + name_args("latent", models_of(w.dataset), input.latents),
        title=lambda w: f"{w.dataset}",
    shell:
        "killipose mnist-maps {output.map:q} {output.grid:q} {params.args} "
        "--title {params.title:q} 2> {log:q}"


rule mnist_interpolation:
    """Decoding the straight line between two digits' codes: linear against nonlinear AE."""
    input:
        table=rules.prepare_mnist.output.table,
        models=lambda w: [
            f"{model_dir(w.dataset, m, w.dim)}/model.pt"
            for m in settings(w.dataset)["models"]
            if m != "pca"
        ],
    output:
        report(
            f"{RESULTS}/{{dataset}}/figures/interpolation-{{dim}}d.png",
            caption="../report/mnist_interpolation.rst",
            category="{dataset}",
            subcategory="3. Latent space",
            labels={"figure": "3. interpolation"},
        ),
    log:
        f"{RESULTS}/logs/{{dataset}}/mnist_interpolation-{{dim}}d.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{dataset}}/mnist_interpolation-{{dim}}d.tsv"
    wildcard_constraints:
        dataset=MNIST,
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        cleandir=lambda w, input: os.path.dirname(input.table),
        models=lambda w, input: name_args(
            "model", [m for m in models_of(w.dataset) if m != "pca"], input.models
        ),
        digits=lambda w: ",".join(
            map(str, settings(w.dataset)["interpolation"]["digits"])
        ),
        title=lambda w: f"{w.dataset}: interpolation in the {w.dim}-D code",
    shell:
        "killipose mnist-interpolation {params.cleandir:q} {output:q} {params.models} "
        "--digits {params.digits} --title {params.title:q} 2> {log:q}"
