# The manifest is written last; its existence marks the version as finished. One manifest per
# programme version (a single study: per study version) lists every output of every study.


localrules:
    manifest,


rule manifest:
    input:
        get_manifest_inputs(),
    output:
        f"{OUT}/manifest.json",
    params:
        config=version_config(),
    log:
        f"{OUT}/logs/manifest.log",
    conda:
        "../envs/csindex.yaml"
    script:
        "../../scripts/manifest.py"


onstart:
    # A finished version's outputs are never rewritten, not even by --forcerun/--forceall.
    if FINISHED and any(j.rule.name != "all" for j in workflow.dag.needrun_jobs()):
        raise WorkflowError(
            f"Version {VERSION!r} of {STUDY!r} is finished and is never overwritten; "
            "a run that would rewrite any of its files was stopped. Choose a new version "
            "(--config version=<new>)."
        )
