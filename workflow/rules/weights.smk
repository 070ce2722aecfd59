# Weights and design-based estimation (issue 5): design weights -> nonresponse adjustment ->
# calibration -> trimming, replicate weights through the same steps, diagnostics, item means.
# Library: src/csindex/weighting/, src/csindex/estimation/; config sections `weighting`,
# `estimation` (workflow/schemas/weighting.schema.yaml, estimation.schema.yaml).


rule weights:
    threads: 1
    resources:
        mem_mb=2000,
        runtime=20,
    group:
        "study"
    input:
        responses=rules.clean.output.responses,
        instrument=get_instrument,
        sample=get_sample,
        dispositions=get_dispositions,
        frame=get_frame_if_used,
    output:
        weights=f"{SOUT}/weights/weights.parquet",
        diagnostics=f"{SOUT}/weights/diagnostics.json",
        table=report(
            f"{SOUT}/weights/diagnostics.csv",
            caption="../report/weights.rst",
            category="Weights",
        ),
        estimates=report(
            f"{SOUT}/weights/estimates.csv",
            caption="../report/weights.rst",
            category="Weights",
        ),
    params:
        weighting=cfg("weighting"),
        estimation=cfg("estimation"),
        id_column=cfg("frame", "id_column", default="customer_id"),
        seed=cfg("seed"),
    log:
        f"{SOUT}/logs/weights.log",
    benchmark:
        f"{SOUT}/benchmarks/weights.tsv"
    conda:
        "../envs/csindex.yaml"
    script:
        "../../scripts/weights.py"
