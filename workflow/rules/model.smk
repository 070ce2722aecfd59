# The model (issue 7): fit PLS-PM or CB-SEM, bootstrap it in shards (scatter/gather), then the
# index and the importance-performance analysis.


rule fit_model:
    input:
        responses=get_clean(),
        weights=get_weights(),
        weights_diagnostics=get_weights_diagnostics(),
        instrument=INSTRUMENT,
    output:
        estimates=report(
            f"{OUT}/model/estimates.csv", caption="../report/model.rst", category="Model"
        ),
        fit=f"{OUT}/model/fit.json",
        standardized=f"{OUT}/model/standardized.csv",
        effects=report(
            f"{OUT}/model/effects.csv", caption="../report/model.rst", category="Model"
        ),
        r2=f"{OUT}/model/r2.csv",
        quality=report(
            f"{OUT}/model/quality.csv", caption="../report/model.rst", category="Model"
        ),
        outer_weights=f"{OUT}/model/outer_weights.csv",
        scores=f"{OUT}/model/scores.parquet",
        admissibility=f"{OUT}/model/admissibility.json",
        invariance=f"{OUT}/model/invariance.csv",
    params:
        model=config["model"],
    log:
        f"{OUT}/logs/fit_model.log",
    conda:
        "../envs/csindex.yaml"
    benchmark:
        f"{OUT}/benchmarks/fit_model.tsv"
    script:
        "../../scripts/fit_model.py"


rule bootstrap_shard:
    input:
        responses=get_clean(),
        weights=get_weights(),
        instrument=INSTRUMENT,
        fit=f"{OUT}/model/fit.json",
    output:
        f"{OUT}/model/bootstrap/shard_{{shard}}.parquet",
    params:
        model=config["model"],
        bootstrap=config["bootstrap"],
        index=config["index"],
        seed=config["seed"],
        lonely_psu=config["estimation"]["lonely_psu"],
    log:
        f"{OUT}/logs/bootstrap_shard_{{shard}}.log",
    conda:
        "../envs/csindex.yaml"
    benchmark:
        f"{OUT}/benchmarks/bootstrap_shard_{{shard}}.tsv"
    script:
        "../../scripts/bootstrap_shard.py"


rule gather_bootstrap:
    input:
        shards=bootstrap_shards(),
        responses=get_clean(),
        weights=get_weights(),
        instrument=INSTRUMENT,
        fit=f"{OUT}/model/fit.json",
    output:
        boot=f"{OUT}/model/bootstrap.parquet",
        ci=report(
            f"{OUT}/model/bootstrap_ci.csv", caption="../report/model.rst", category="Model"
        ),
    params:
        model=config["model"],
        bootstrap=config["bootstrap"],
        index=config["index"],
        seed=config["seed"],
        lonely_psu=config["estimation"]["lonely_psu"],
    log:
        f"{OUT}/logs/gather_bootstrap.log",
    conda:
        "../envs/csindex.yaml"
    benchmark:
        f"{OUT}/benchmarks/gather_bootstrap.tsv"
    script:
        "../../scripts/gather_bootstrap.py"


rule index:
    input:
        responses=get_clean(),
        weights=get_weights(),
        weights_diagnostics=get_weights_diagnostics(),
        instrument=INSTRUMENT,
        outer_weights=f"{OUT}/model/outer_weights.csv",
        effects=f"{OUT}/model/effects.csv",
        fit=f"{OUT}/model/fit.json",
        ci=get_bootstrap_ci(),
        truth=get_truth(),
    output:
        csi=report(f"{OUT}/index/csi.csv", caption="../report/index.rst", category="Index"),
        ipa=report(f"{OUT}/index/ipa.csv", caption="../report/ipa.rst", category="Index"),
    params:
        model=config["model"],
        index=config["index"],
        ipa=config["ipa"],
    log:
        f"{OUT}/logs/index.log",
    conda:
        "../envs/csindex.yaml"
    benchmark:
        f"{OUT}/benchmarks/index.tsv"
    script:
        "../../scripts/index.py"
