# Indicator weights and the weighted index (issue 6): weights per level of the indicator system
# (expert methods of seed 001 section 三, AHP, entropy/CRITIC, model-derived), combined down the
# hierarchy, and the survey-weighted index 0-100 of every node, overall and by domain.
# Library: src/csindex/indicators/; config section `indicators`
# (workflow/schemas/indicators.schema.yaml); expert files: config/experts/ (README.md there).

rule indicator_weights:
    input:
        clean=get_clean(),
        instrument=INSTRUMENT,
        weights=get_weights(),
        diagnostics=get_weights_diagnostics(),
        experts=get_indicator_expert_files(),
        outer_weights=get_indicator_model_input("outer_weights"),
        effects=get_indicator_model_input("effects"),
    output:
        weights=report(
            f"{OUT}/indicators/weights.csv",
            caption="../report/indicators.rst",
            category="Indicator weights",
        ),
        index=report(
            f"{OUT}/indicators/index.csv",
            caption="../report/indicators.rst",
            category="Indicator weights",
        ),
        summary=f"{OUT}/indicators/summary.json",
        tables=[f"{OUT}/indicators/{name}" for name in table_names(config["indicators"])],
    params:
        indicators=config["indicators"],
        estimation=config["estimation"],
    log:
        f"{OUT}/logs/indicator_weights.log",
    benchmark:
        f"{OUT}/benchmarks/indicator_weights.tsv"
    conda:
        "../envs/csindex.yaml"
    script:
        "../../scripts/indicator_weights.py"
