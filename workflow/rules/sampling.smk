# Sampling design stage: the design (allocation, sample size) and the selection.
# Library: src/csindex/sampling/ (config.py, multistage.py, ...); config section `design` (workflow/schemas/design.schema.yaml).


rule design:
    input:
        frame=get_frame(),
    output:
        design=report(
            f"{OUT}/sample/design.json",
            caption="../report/design.rst",
            category="Sampling",
        ),
    log:
        f"{OUT}/logs/design.log",
    params:
        design=config["design"],
        seed=config["seed"],
        id_column=config["frame"].get("id_column", "customer_id"),
    conda:
        "../envs/csindex.yaml"
    script:
        "../../scripts/design.py"


rule draw_sample:
    input:
        frame=get_frame(),
        design=f"{OUT}/sample/design.json",
    output:
        sample=f"{OUT}/sample/sample.parquet",
        selection=f"{OUT}/sample/selection.json",
    log:
        f"{OUT}/logs/draw_sample.log",
    benchmark:
        f"{OUT}/benchmarks/draw_sample.tsv"
    params:
        design=config["design"],
        seed=config["seed"],
        id_column=config["frame"].get("id_column", "customer_id"),
    conda:
        "../envs/csindex.yaml"
    script:
        "../../scripts/draw_sample.py"
