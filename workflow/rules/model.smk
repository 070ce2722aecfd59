# The model (issue 7): fit PLS-PM or CB-SEM, bootstrap it in shards (scatter/gather), then the
# index and the importance-performance analysis.


rule fit_model:
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    group:
        "study"
    input:
        responses=rules.clean.output.responses,
        weights=[rules.weights.output.weights],
        weights_diagnostics=[rules.weights.output.diagnostics],
        instrument=get_instrument,
    output:
        estimates=report(
            f"{SOUT}/model/estimates.csv", caption="../report/model.rst", category="Model"
        ),
        fit=f"{SOUT}/model/fit.json",
        standardized=f"{SOUT}/model/standardized.csv",
        effects=report(
            f"{SOUT}/model/effects.csv", caption="../report/model.rst", category="Model"
        ),
        r2=f"{SOUT}/model/r2.csv",
        quality=report(
            f"{SOUT}/model/quality.csv", caption="../report/model.rst", category="Model"
        ),
        outer_weights=f"{SOUT}/model/outer_weights.csv",
        scores=f"{SOUT}/model/scores.parquet",
        admissibility=f"{SOUT}/model/admissibility.json",
        invariance=f"{SOUT}/model/invariance.csv",
        micom=f"{SOUT}/model/micom.csv",
        mga=f"{SOUT}/model/mga.csv",
    params:
        model=cfg("model"),
        seed=cfg("seed"),
    log:
        f"{SOUT}/logs/fit_model.log",
    conda:
        "../envs/csindex.yaml"
    benchmark:
        f"{SOUT}/benchmarks/fit_model.tsv"
    script:
        "../../scripts/fit_model.py"


rule bootstrap_shard:
    threads: 1
    resources:
        mem_mb=1000,
        runtime=30,
    group:
        "study"
    input:
        responses=rules.clean.output.responses,
        weights=[rules.weights.output.weights],
        instrument=get_instrument,
        fit=rules.fit_model.output.fit,
    output:
        f"{SOUT}/model/bootstrap/shard_{{shard}}.parquet",
    params:
        model=cfg("model"),
        bootstrap=cfg("bootstrap"),
        index=cfg("index"),
        seed=cfg("seed"),
        lonely_psu=cfg("estimation", "lonely_psu"),
    log:
        f"{SOUT}/logs/bootstrap_shard_{{shard}}.log",
    conda:
        "../envs/csindex.yaml"
    benchmark:
        f"{SOUT}/benchmarks/bootstrap_shard_{{shard}}.tsv"
    script:
        "../../scripts/bootstrap_shard.py"


rule gather_bootstrap:
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    group:
        "study"
    input:
        shards=bootstrap_shards,
        responses=rules.clean.output.responses,
        weights=[rules.weights.output.weights],
        instrument=get_instrument,
        fit=rules.fit_model.output.fit,
    output:
        boot=f"{SOUT}/model/bootstrap.parquet",
        ci=report(
            f"{SOUT}/model/bootstrap_ci.csv", caption="../report/model.rst", category="Model"
        ),
    params:
        model=cfg("model"),
        bootstrap=cfg("bootstrap"),
        index=cfg("index"),
        seed=cfg("seed"),
        lonely_psu=cfg("estimation", "lonely_psu"),
    log:
        f"{SOUT}/logs/gather_bootstrap.log",
    conda:
        "../envs/csindex.yaml"
    benchmark:
        f"{SOUT}/benchmarks/gather_bootstrap.tsv"
    script:
        "../../scripts/gather_bootstrap.py"


rule index:
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    group:
        "study"
    input:
        responses=rules.clean.output.responses,
        weights=[rules.weights.output.weights],
        weights_diagnostics=[rules.weights.output.diagnostics],
        instrument=get_instrument,
        outer_weights=rules.fit_model.output.outer_weights,
        effects=rules.fit_model.output.effects,
        fit=rules.fit_model.output.fit,
        ci=get_bootstrap_ci,
        previous_wave=get_previous_wave_index,
    output:
        csi=report(f"{SOUT}/index/csi.csv", caption="../report/index.rst", category="Index"),
        ipa=report(f"{SOUT}/index/ipa.csv", caption="../report/ipa.rst", category="Index"),
    params:
        model=cfg("model"),
        index=cfg("index"),
        ipa=cfg("ipa"),
    log:
        f"{SOUT}/logs/index.log",
    conda:
        "../envs/csindex.yaml"
    benchmark:
        f"{SOUT}/benchmarks/index.tsv"
    script:
        "../../scripts/index.py"
