# The study report: report/report.html, one self-contained file (rule report).
# Its inputs are the outputs of every stage the study runs, so it is built last (before the
# manifest) and shows each stage that exists; earlier versions of the same study are read only
# to report the change of the CSI.

report: "../report/workflow.rst"

rule report:
    threads: 1
    resources:
        mem_mb=2000,
        runtime=20,
    group:
        "study"
    input:
        get_report_inputs,
    output:
        report(
            f"{SOUT}/report/report.html",
            caption="../report/report.rst",
            category="Report",
        ),
    params:
        instrument=get_instrument,
        # the study x wave's merged config (the report reads it instead of the run's config)
        config=C,
    log:
        f"{SOUT}/logs/report.log",
    benchmark:
        f"{SOUT}/benchmarks/report.tsv"
    conda:
        "../envs/csindex.yaml"
    script:
        "../../scripts/report.py"
