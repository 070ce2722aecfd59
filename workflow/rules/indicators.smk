# Indicator weights and the weighted index (issue 6): weights per level of the indicator system
# (expert methods of seed 001 section 三, AHP, entropy/CRITIC, model-derived), combined down the
# hierarchy, and the survey-weighted index 0-100 of every node, overall and by domain.
# Library: src/csindex/indicators/; config section `indicators`
# (workflow/schemas/indicators.schema.yaml); expert files: config/experts/ (README.md there).

rule indicator_weights:
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    group:
        "study"
    input:
        clean=rules.clean.output.responses,
        instrument=get_instrument,
        weights=[rules.weights.output.weights],
        diagnostics=[rules.weights.output.diagnostics],
        experts=get_indicator_expert_files,
        outer_weights=get_indicator_model_input("outer_weights"),
        effects=get_indicator_model_input("effects"),
    output:
        weights=report(
            f"{SOUT}/indicators/weights.csv",
            caption="../report/indicators.rst",
            category="Indicator weights",
        ),
        index=report(
            f"{SOUT}/indicators/index.csv",
            caption="../report/indicators.rst",
            category="Indicator weights",
        ),
        summary=f"{SOUT}/indicators/summary.json",
        tables=[f"{SOUT}/indicators/{name}" for name in INDICATOR_TABLES],
    params:
        indicators=cfg("indicators"),
        estimation=cfg("estimation"),
    log:
        f"{SOUT}/logs/indicator_weights.log",
    benchmark:
        f"{SOUT}/benchmarks/indicator_weights.tsv"
    conda:
        "../envs/csindex.yaml"
    script:
        "../../scripts/indicator_weights.py"
