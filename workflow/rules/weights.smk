# Weights and design-based estimation (issue 5): design weights -> nonresponse adjustment ->
# calibration -> trimming, replicate weights through the same steps, diagnostics, item means.
# Library: src/csindex/weighting.py, src/csindex/estimation.py; config sections `weighting`,
# `estimation` (workflow/schemas/weighting.schema.yaml, estimation.schema.yaml).


rule weights:
    input:
        responses=get_clean(),
        instrument=INSTRUMENT,
        sample=get_sample(),
        dispositions=get_dispositions(),
        frame=[get_frame()] if from_frame() else [],
        truth=get_truth(),
    output:
        weights=f"{OUT}/weights/weights.parquet",
        diagnostics=f"{OUT}/weights/diagnostics.json",
        table=report(
            f"{OUT}/weights/diagnostics.csv",
            caption="../report/weights.rst",
            category="Weights",
        ),
        estimates=report(
            f"{OUT}/weights/estimates.csv",
            caption="../report/weights.rst",
            category="Weights",
        ),
    params:
        weighting=config["weighting"],
        estimation=config["estimation"],
        id_column=config["frame"].get("id_column", "customer_id"),
        seed=config["seed"],
    log:
        f"{OUT}/logs/weights.log",
    benchmark:
        f"{OUT}/benchmarks/weights.tsv"
    conda:
        "../envs/csindex.yaml"
    script:
        "../../scripts/weights.py"
