# Data in and cleaning (issue 4): ingest the response file (the simulated fieldwork or the
# user's own file), then apply the cleaning rules with an audit log.


rule ingest:
    input:
        raw=get_raw_responses(),
        instrument=INSTRUMENT,
    output:
        data=f"{OUT}/clean/ingested.parquet",
        report=f"{OUT}/clean/ingest.json",
    params:
        responses=config["responses"],
        cleaning=config["cleaning"],
        privacy=config["privacy"],
        seed=config["seed"],
    log:
        f"{OUT}/logs/ingest.log",
    benchmark:
        f"{OUT}/benchmarks/ingest.tsv"
    conda:
        "../envs/csindex.yaml"
    script:
        "../../scripts/ingest.py"


rule clean:
    input:
        data=f"{OUT}/clean/ingested.parquet",
        report=f"{OUT}/clean/ingest.json",
        instrument=INSTRUMENT,
        dispositions=get_dispositions(),
        injected=get_injected(),
    output:
        responses=f"{OUT}/clean/responses.parquet",
        log=report(
            f"{OUT}/clean/log.csv",
            caption="../report/cleaning.rst",
            category="Cleaning",
        ),
        summary=f"{OUT}/clean/summary.json",
        dispositions=report(
            f"{OUT}/clean/dispositions.csv",
            caption="../report/cleaning.rst",
            category="Cleaning",
        ),
        pilot=report(
            f"{OUT}/clean/pilot_items.csv",
            caption="../report/cleaning.rst",
            category="Cleaning",
        ),
    params:
        responses=config["responses"],
        cleaning=config["cleaning"],
    log:
        f"{OUT}/logs/clean.log",
    benchmark:
        f"{OUT}/benchmarks/clean.tsv"
    conda:
        "../envs/csindex.yaml"
    script:
        "../../scripts/clean.py"
