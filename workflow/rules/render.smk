rule animate:
    """Original beside each model's reconstruction, as a video, and the page that plays it;
    the rows it shows, and why (the test block's stretch where the models differ most, or
    the configured ones), for the latent figures too. One job: choosing the rows loads the
    models and reconstructs the test block, which the video needs anyway."""
    input:
        table=rules.clean.output.table,
        models=lambda w: [
            f"{model_dir(w.dataset, m, w.dim)}/model.pt" for m in models_of(w.dataset)
        ],
    output:
        video=f"{RESULTS}/{{dataset}}/animations/reconstruction-{{dim}}d.mp4",
        window=f"{RESULTS}/{{dataset}}/animations/window-{{dim}}d.json",
        page=report(
            f"{RESULTS}/{{dataset}}/animations/reconstruction-{{dim}}d.html",
            caption="../report/animation.rst",
            category="{dataset}",
            subcategory="3. Reconstructions",
            labels={"figure": "reconstruction video", "latent dim": "{dim}"},
        ),
    log:
        f"{RESULTS}/logs/{{dataset}}/animate-{{dim}}d.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{dataset}}/animate-{{dim}}d.tsv"
    wildcard_constraints:
        dataset=POSE,
    threads: 1
    resources:
        mem_mb=3000,
        runtime=20,
    params:
        cleandir=lambda w, input: os.path.dirname(input.table),
        models=lambda w, input: name_args("model", models_of(w.dataset), input.models),
        frames=lambda w: settings(w.dataset)["animation"]["frames"],
        start_arg=lambda w: settings(w.dataset)["window_start_arg"],
        fps=lambda w: settings(w.dataset)["animation_fps_arg"],
        magnify=lambda w: settings(w.dataset)["animation"]["magnify"],
        title=lambda w: f"{w.dataset}: reconstructions from {w.dim}-D",
        page_title=lambda w: f"{w.dataset}: original and reconstructions from {w.dim}-D",
        # for the caption
        start=lambda w: settings(w.dataset)["animation"].get("start"),
        playback_fps=lambda w: settings(w.dataset)["animation"].get("fps"),
    shell:
        "killipose animate {params.cleandir:q} {output.video:q} {params.models} "
        "--choose {output.window:q} --frames {params.frames} {params.start_arg} "
        "--page {output.page:q} {params.fps} --magnify {params.magnify} "
        "--title {params.title:q} --page-title {params.page_title:q} 2> {log:q}"


rule plot_latents:
    """One model's latent dimensions over the animated window, and its latent path."""
    input:
        latent=f"{RESULTS}/{{dataset}}/models/{{model}}-{{dim}}d/latent.parquet",
        window=rules.animate.output.window,
    output:
        report(
            f"{RESULTS}/{{dataset}}/figures/latents-{{model}}-{{dim}}d.png",
            caption="../report/latents.rst",
            category="{dataset}",
            subcategory="4. Latent trajectories",
            labels=jobs.model_labels("latent trajectory"),
        ),
    log:
        f"{RESULTS}/logs/{{dataset}}/plot_latents-{{model}}-{{dim}}d.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{dataset}}/plot_latents-{{model}}-{{dim}}d.tsv"
    wildcard_constraints:
        dataset=POSE,
    threads: 1
    resources:
        mem_mb=1500,
        runtime=5,
    params:
        # for the caption
        start=lambda w: settings(w.dataset)["animation"].get("start"),
        frames=lambda w: settings(w.dataset)["animation"]["frames"],
        title=lambda w: f"{w.dataset}: {w.dim}-D latent code over the animated window",
        label=lambda w: MODELS[w.model].label,  # for the caption
    shell:
        "killipose plot-latents {output:q} --latent {wildcards.model}={input.latent:q} "
        "--window {input.window:q} --title {params.title:q} 2> {log:q}"


rule plot_latents_together:
    """Every model's latent dimensions side by side over the animated window."""
    input:
        latents=lambda w: [
            f"{model_dir(w.dataset, m, w.dim)}/latent.parquet"
            for m in models_of(w.dataset)
        ],
        window=rules.animate.output.window,
    output:
        report(
            f"{RESULTS}/{{dataset}}/figures/latents-{{dim}}d.png",
            caption="../report/latents_together.rst",
            category="{dataset}",
            subcategory="4. Latent trajectories",
            labels={
                "figure": "latents side by side",
                "model": "all",
                "latent dim": "{dim}",
            },
        ),
    log:
        f"{RESULTS}/logs/{{dataset}}/plot_latents-{{dim}}d.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{dataset}}/plot_latents-{{dim}}d.tsv"
    wildcard_constraints:
        dataset=POSE,
    threads: 1
    resources:
        mem_mb=1500,
        runtime=5,
    params:
        latents=lambda w, input: name_args(
            "latent", models_of(w.dataset), input.latents
        ),
        # for the caption
        start=lambda w: settings(w.dataset)["animation"].get("start"),
        frames=lambda w: settings(w.dataset)["animation"]["frames"],
        title=lambda w: f"{w.dataset}: {w.dim}-D latent codes of each model, same window",
    shell:
        "killipose plot-latents {output:q} {params.latents} --window {input.window:q} "
        "--title {params.title:q} 2> {log:q}"


rule plot_traversal:
    """What each code dimension means: poses decoded along each latent axis."""
    input:
        table=rules.clean.output.table,
        model=f"{RESULTS}/{{dataset}}/models/{{model}}-{{dim}}d/model.pt",
    output:
        report(
            f"{RESULTS}/{{dataset}}/figures/traversal-{{model}}-{{dim}}d.png",
            caption="../report/traversal.rst",
            category="{dataset}",
            subcategory="5. What each code means",
            labels=jobs.model_labels("latent traversal"),
        ),
    log:
        f"{RESULTS}/logs/{{dataset}}/plot_traversal-{{model}}-{{dim}}d.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{dataset}}/plot_traversal-{{model}}-{{dim}}d.tsv"
    wildcard_constraints:
        dataset=POSE,
    threads: 1
    resources:
        mem_mb=3000,
        runtime=10,
    params:
        cleandir=lambda w, input: os.path.dirname(input.table),
        title=lambda w: f"{w.dataset}: {MODELS[w.model].label}, {w.dim}-D code, one axis at a time",
        label=lambda w: MODELS[w.model].label,  # for the caption
    shell:
        "killipose plot-traversal {params.cleandir:q} {input.model:q} {output:q} "
        "--title {params.title:q} 2> {log:q}"


rule code_kinematics:
    """How each model's code dimensions follow the animal's movement (correlations)."""
    input:
        table=rules.clean.output.table,
        latents=lambda w: [
            f"{model_dir(w.dataset, m, w.dim)}/latent.parquet"
            for m in models_of(w.dataset)
        ],
    output:
        report(
            f"{RESULTS}/{{dataset}}/code-kinematics-{{dim}}d.html",
            caption="../report/code_kinematics.rst",
            category="{dataset}",
            subcategory="5. What each code means",
            labels={
                "figure": "codes and movement",
                "model": "all",
                "latent dim": "{dim}",
            },
        ),
    log:
        f"{RESULTS}/logs/{{dataset}}/code_kinematics-{{dim}}d.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{dataset}}/code_kinematics-{{dim}}d.tsv"
    wildcard_constraints:
        dataset=POSE,
    threads: 1
    resources:
        mem_mb=4000,
        runtime=10,
    params:
        cleandir=lambda w, input: os.path.dirname(input.table),
        latents=lambda w, input: name_args(
            "latent", models_of(w.dataset), input.latents
        ),
        title=lambda w: f"{w.dataset}: each {w.dim}-D code against the movement",
    shell:
        "killipose code-kinematics {params.cleandir:q} {output:q} {params.latents} "
        "--title {params.title:q} 2> {log:q}"


rule plot_day:
    """The whole recording: activity and each model's error over time, rest and swimming."""
    input:
        table=rules.clean.output.table,
        models=lambda w: [
            f"{model_dir(w.dataset, m, w.dim)}/model.pt" for m in models_of(w.dataset)
        ],
    output:
        report(
            f"{RESULTS}/{{dataset}}/figures/day-{{dim}}d.png",
            caption="../report/day.rst",
            category="{dataset}",
            subcategory="6. Over the recording",
            labels={"figure": "activity and error over time", "latent dim": "{dim}"},
        ),
    log:
        f"{RESULTS}/logs/{{dataset}}/plot_day-{{dim}}d.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{dataset}}/plot_day-{{dim}}d.tsv"
    wildcard_constraints:
        dataset=POSE,
    threads: 1
    resources:
        mem_mb=5000,
        runtime=15,
    params:
        cleandir=lambda w, input: os.path.dirname(input.table),
        models=lambda w, input: name_args("model", models_of(w.dataset), input.models),
        title=lambda w: f"{w.dataset}: the whole recording, {w.dim}-D codes",
    shell:
        "killipose plot-day {params.cleandir:q} {output:q} {params.models} "
        "--title {params.title:q} 2> {log:q}"


rule code_map:
    """A t-SNE map of each model's codes, coloured by speed and by the hour of the day."""
    input:
        table=rules.clean.output.table,
        latents=lambda w: [
            f"{model_dir(w.dataset, m, w.dim)}/latent.parquet"
            for m in models_of(w.dataset)
        ],
    output:
        report(
            f"{RESULTS}/{{dataset}}/figures/code-map-{{dim}}d.png",
            caption="../report/code_map.rst",
            category="{dataset}",
            subcategory="5. What each code means",
            labels={
                "figure": "map of the codes",
                "model": "all",
                "latent dim": "{dim}",
            },
        ),
    log:
        f"{RESULTS}/logs/{{dataset}}/code_map-{{dim}}d.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{dataset}}/code_map-{{dim}}d.tsv"
    wildcard_constraints:
        dataset=POSE,
    threads: 1
    resources:
        mem_mb=4000,
        runtime=20,
    params:
        cleandir=lambda w, input: os.path.dirname(input.table),
        latents=lambda w, input: name_args(
            "latent", models_of(w.dataset), input.latents
        ),
        samples=config["code_map_samples"],
        seed=config["seed"],
        title=lambda w: f"{w.dataset}: map of the {w.dim}-D codes",
    shell:
        "killipose code-map {params.cleandir:q} {output:q} {params.latents} "
        "--samples {params.samples} --seed {params.seed} --title {params.title:q} 2> {log:q}"
