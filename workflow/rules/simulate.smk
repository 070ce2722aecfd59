# The demo world of Company L: the simulated customer frame and the simulated fieldwork.


rule simulate_frame:
    threads: 1
    resources:
        mem_mb=2000,
        runtime=20,
    group:
        "study"
    output:
        frame=f"{SOUT}/frame/frame.parquet",
        summary_csv=report(
            f"{SOUT}/frame/summary.csv",
            caption="../report/frame_summary.rst",
            category="Frame",
        ),
        summary_json=f"{SOUT}/frame/summary.json",
    params:
        frame=cfg("frame"),
        seed=cfg("seed"),
    log:
        f"{SOUT}/logs/simulate_frame.log",
    conda:
        "../envs/csindex.yaml"
    benchmark:
        f"{SOUT}/benchmarks/simulate_frame.tsv"
    script:
        "../../scripts/simulate_frame.py"


rule fieldwork:
    threads: 1
    resources:
        mem_mb=2000,
        runtime=20,
    group:
        "study"
    input:
        sample=f"{SOUT}/sample/sample.parquet",
        frame=get_frame,
        instrument=get_instrument,
    output:
        raw=f"{SOUT}/fieldwork/raw_responses.csv",
        dispositions=f"{SOUT}/fieldwork/dispositions.parquet",
        truth=f"{SOUT}/fieldwork/truth.json",
        injected=f"{SOUT}/fieldwork/injected.json",
    params:
        fieldwork=cfg("fieldwork"),
        id_column=cfg("frame", "id_column", default="customer_id"),
        seed=cfg("seed"),
    log:
        f"{SOUT}/logs/fieldwork.log",
    conda:
        "../envs/csindex.yaml"
    benchmark:
        f"{SOUT}/benchmarks/fieldwork.tsv"
    script:
        "../../scripts/fieldwork.py"
