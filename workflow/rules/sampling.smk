# Sampling design stage: the design (allocation, sample size) and the selection.
# Library: src/csindex/sampling/ (config.py, multistage.py, ...); config section `design` (workflow/schemas/design.schema.yaml).


rule design:
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    group:
        "study"
    input:
        frame=get_frame,
    output:
        design=report(
            f"{SOUT}/sample/design.json",
            caption="../report/design.rst",
            category="Sampling",
        ),
    log:
        f"{SOUT}/logs/design.log",
    benchmark:
        f"{SOUT}/benchmarks/design.tsv"
    params:
        design=cfg("design"),
        seed=cfg("seed"),
        id_column=cfg("frame", "id_column", default="customer_id"),
    conda:
        "../envs/csindex.yaml"
    script:
        "../../scripts/design.py"


rule draw_sample:
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    group:
        "study"
    input:
        frame=get_frame,
        design=rules.design.output.design,
    output:
        sample=f"{SOUT}/sample/sample.parquet",
        selection=f"{SOUT}/sample/selection.json",
    log:
        f"{SOUT}/logs/draw_sample.log",
    benchmark:
        f"{SOUT}/benchmarks/draw_sample.tsv"
    params:
        design=cfg("design"),
        seed=cfg("seed"),
        id_column=cfg("frame", "id_column", default="customer_id"),
    conda:
        "../envs/csindex.yaml"
    script:
        "../../scripts/draw_sample.py"
