# The programme (config key programme.studies): per study the trend over its waves, then the
# roll-up of company indices to industry, sector and national indices, and the programme report.
# Library: src/csindex/programme/.


localrules:
    study_trend,
    rollup,


rule study_trend:
    input:
        get_wave_indices,
    output:
        f"{STUDY_PATTERN}/trend.csv",
    params:
        waves=lambda wildcards: sorted(
            (r.wave for r in STUDY_ROWS if r.study == wildcards.study), key=wave_order
        ),
        alpha=config["programme"]["alpha"],
    log:
        f"{STUDY_PATTERN}/trend.log",
    conda:
        "../envs/csindex.yaml"
    script:
        "../../scripts/study_trend.py"


rule rollup:
    input:
        indices=all_studies(rules.index.output.csi),
        truth=get_programme_truth(),
        sheet=config["programme"]["studies"] or [],
        sectors=config["programme"]["sectors"] or [],
    output:
        companies=f"{OUT}/programme/companies.csv",
        industries=f"{OUT}/programme/industries.csv",
        sectors=f"{OUT}/programme/sectors.csv",
        national=f"{OUT}/programme/national.csv",
        trends=f"{OUT}/programme/trends.csv",
    params:
        studies=[r.study for r in STUDY_ROWS],
        waves=[r.wave for r in STUDY_ROWS],
        alpha=config["programme"]["alpha"],
    log:
        f"{OUT}/logs/rollup.log",
    conda:
        "../envs/csindex.yaml"
    script:
        "../../scripts/rollup.py"


rule programme_report:
    input:
        **rules.rollup.output,
    output:
        report(
            f"{OUT}/programme/report.html",
            caption="../report/programme.rst",
            category="Programme",
        ),
    params:
        programme=PROGRAMME,
        version=VERSION,
        language=config["language"],
        alpha=config["programme"]["alpha"],
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    log:
        f"{OUT}/logs/programme_report.log",
    benchmark:
        f"{OUT}/benchmarks/programme_report.tsv"
    conda:
        "../envs/csindex.yaml"
    script:
        "../../scripts/programme_report.py"
