# The demo world of Company L: the simulated customer frame and the simulated fieldwork.


rule simulate_frame:
    output:
        frame=f"{OUT}/frame/frame.parquet",
        summary_csv=report(
            f"{OUT}/frame/summary.csv",
            caption="../report/frame_summary.rst",
            category="Frame",
        ),
        summary_json=f"{OUT}/frame/summary.json",
    params:
        frame=config["frame"],
        seed=config["seed"],
    log:
        f"{OUT}/logs/simulate_frame.log",
    conda:
        "../envs/csindex.yaml"
    benchmark:
        f"{OUT}/benchmarks/simulate_frame.tsv"
    script:
        "../../scripts/simulate_frame.py"


rule fieldwork:
    input:
        sample=f"{OUT}/sample/sample.parquet",
        frame=get_frame(),
        instrument=INSTRUMENT,
    output:
        raw=f"{OUT}/fieldwork/raw_responses.csv",
        dispositions=f"{OUT}/fieldwork/dispositions.parquet",
        truth=f"{OUT}/fieldwork/truth.json",
        injected=f"{OUT}/fieldwork/injected.json",
    params:
        fieldwork=config["fieldwork"],
        id_column=config["frame"].get("id_column", "customer_id"),
        seed=config["seed"],
    log:
        f"{OUT}/logs/fieldwork.log",
    conda:
        "../envs/csindex.yaml"
    benchmark:
        f"{OUT}/benchmarks/fieldwork.tsv"
    script:
        "../../scripts/fieldwork.py"
