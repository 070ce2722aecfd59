# Validation of a simulated study (issue 13): the production rules never read the simulation's
# truth; this rule compares their outputs with it afterwards (cleaning: caught vs injected
# defects; weights: item means; index: every construct's index and its CI coverage). Planned
# only when the fieldwork is simulated (get_validation_targets in common.smk).
# Library: src/csindex/validation.py.


rule validate:
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    group:
        "study"
    input:
        truth=rules.fieldwork.output.truth,
        injected=rules.fieldwork.output.injected,
        clean_summary=rules.clean.output.summary,
        estimates=rules.weights.output.estimates,
        responses=rules.clean.output.responses,
        weights=rules.weights.output.weights,
        csi=rules.index.output.csi,
        instrument=get_instrument,
    output:
        json=f"{SOUT}/validation/truth.json",
        table=report(
            f"{SOUT}/validation/truth.csv",
            caption="../report/validation.rst",
            category="Validation",
        ),
    params:
        model=cfg("model"),
        index=cfg("index"),
        ipa=cfg("ipa"),
    log:
        f"{SOUT}/logs/validate.log",
    benchmark:
        f"{SOUT}/benchmarks/validate.tsv"
    conda:
        "../envs/csindex.yaml"
    script:
        "../../scripts/validate.py"
