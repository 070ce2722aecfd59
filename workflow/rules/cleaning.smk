# Data in and cleaning (issue 4): ingest the response file (the simulated fieldwork or the
# user's own file), then apply the cleaning rules with an audit log.


rule ingest:
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    group:
        "study"
    input:
        raw=get_raw_responses,
        instrument=get_instrument,
    output:
        data=f"{SOUT}/clean/ingested.parquet",
        report=f"{SOUT}/clean/ingest.json",
    params:
        responses=cfg("responses"),
        cleaning=cfg("cleaning"),
        privacy=cfg("privacy"),
        seed=cfg("seed"),
    log:
        f"{SOUT}/logs/ingest.log",
    benchmark:
        f"{SOUT}/benchmarks/ingest.tsv"
    conda:
        "../envs/csindex.yaml"
    script:
        "../../scripts/ingest.py"


rule clean:
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    group:
        "study"
    input:
        data=rules.ingest.output.data,
        report=rules.ingest.output.report,
        instrument=get_instrument,
        dispositions=get_dispositions,
    output:
        responses=f"{SOUT}/clean/responses.parquet",
        log=report(
            f"{SOUT}/clean/log.csv",
            caption="../report/cleaning.rst",
            category="Cleaning",
        ),
        summary=f"{SOUT}/clean/summary.json",
        dispositions=report(
            f"{SOUT}/clean/dispositions.csv",
            caption="../report/cleaning.rst",
            category="Cleaning",
        ),
        pilot=report(
            f"{SOUT}/clean/pilot_items.csv",
            caption="../report/cleaning.rst",
            category="Cleaning",
        ),
    params:
        responses=cfg("responses"),
        cleaning=cfg("cleaning"),
    log:
        f"{SOUT}/logs/clean.log",
    benchmark:
        f"{SOUT}/benchmarks/clean.tsv"
    conda:
        "../envs/csindex.yaml"
    script:
        "../../scripts/clean.py"
