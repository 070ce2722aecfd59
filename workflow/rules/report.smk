# The study report: report/report.html, one self-contained file (rule report), with
# questions.csv (the answer table its per-question charts are drawn from) and diagnostics.json.
# Its inputs are the outputs of every stage the study runs, so it is built last (before the
# manifest) and shows each stage that exists; a previous wave (report.previous_wave) is read
# only to report the change of the CSI.

report: "../report/workflow.rst"

rule report:
    input:
        get_report_inputs,
    output:
        report(
            f"{OUT}/report/report.html",
            caption="../report/report.rst",
            category="Report",
        ),
        questions=f"{OUT}/report/questions.csv",
        diagnostics=f"{OUT}/report/diagnostics.json",
    params:
        instrument=INSTRUMENT,
    log:
        f"{OUT}/logs/report.log",
    benchmark:
        f"{OUT}/benchmarks/report.tsv"
    conda:
        "../envs/csindex.yaml"
    script:
        "../../scripts/report.py"
