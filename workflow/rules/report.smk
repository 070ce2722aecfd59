# The study report: report/report.html, one self-contained file (rule report), with
# questions.csv (the answer table its per-question charts are drawn from) and diagnostics.json.
# Its inputs are the outputs of every stage the study runs, so it is built last (before the
# manifest) and shows each stage that exists; a previous wave (report.previous_wave) is read
# only to report the change of the CSI.

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
        questions=f"{SOUT}/report/questions.csv",
        diagnostics=f"{SOUT}/report/diagnostics.json",
    params:
        instrument=get_instrument,
        # the study x wave's merged config (the report reads it instead of the run's config)
        config=C,
        previous_wave=get_previous_wave_dir,
    log:
        f"{SOUT}/logs/report.log",
    benchmark:
        f"{SOUT}/benchmarks/report.tsv"
    conda:
        "../envs/csindex.yaml"
    script:
        "../../scripts/report.py"
