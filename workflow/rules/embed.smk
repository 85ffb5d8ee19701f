rule embed:
    """The latent code of every frame."""
    input:
        table=rules.clean.output.table,
        model=rules.fit.output.model,
    output:
        f"{RESULTS}/{{dataset}}/models/{{model}}-{{dim}}d/latent.parquet",
    log:
        f"{RESULTS}/logs/{{dataset}}/embed-{{model}}-{{dim}}d.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{dataset}}/embed-{{model}}-{{dim}}d.tsv"
    threads: 1
    resources:
        mem_mb=model_mem_mb,
        runtime=10,
    params:
        cleandir=lambda w, input: os.path.dirname(input.table),
    shell:
        "killipose embed {params.cleandir:q} {input.model:q} {output:q} 2> {log:q}"
