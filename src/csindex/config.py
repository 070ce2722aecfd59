"""Study configuration: loading, validation against the JSON schema, clear error messages.

The workflow validates with ``snakemake.utils.validate`` (which also fills in defaults); before
that, :func:`config_errors` turns every schema violation into one line that names the config key,
the value and what is allowed, so a wrong key, type or value stops the run with a useful message.
"""

from __future__ import annotations

import copy
import difflib
import functools
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "workflow" / "schemas"


class StrictLoader(yaml.SafeLoader):
    """yaml.SafeLoader that refuses a key given twice in one mapping (plain YAML keeps the last
    one silently). Keys brought in by a merge (``<<: *base``) may be overridden."""


def _strict_mapping(loader: StrictLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        try:
            key = loader.construct_object(key_node, deep=True)
            hash(key)
        except (TypeError, yaml.YAMLError):
            continue
        line = key_node.start_mark.line + 1
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"key {key!r} is given twice (lines {seen[key]} and {line}); YAML would keep only "
                "the last one: remove one of them",
                key_node.start_mark,
            )
        seen[key] = line
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _strict_mapping)


def load_yaml_strict(path: str | Path, *, key: str | None = None) -> Any:
    """Read a YAML file, refusing duplicate keys: :class:`ConfigError` naming the file, the key
    and its lines (``key``: the config key that named the file)."""
    path = Path(path)
    try:
        with open(path, encoding="utf-8") as f:
            return yaml.load(f, Loader=StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.constructor.ConstructorError as e:
        where = f" (line {e.problem_mark.line + 1})" if e.problem_mark else ""
        raise ConfigError(f"{path}{where}: {e.problem}", key=key) from None
    except yaml.YAMLError as e:
        raise ConfigError(
            f"{path} is not valid YAML: {' '.join(str(e).split())}", key=key
        ) from None


def _load_yaml(path: Path) -> Any:
    """A schema file, read once per process (a copy each time: callers edit it). A programme
    validates hundreds of study configs against the same ~20 section schemas."""
    path = Path(path)
    st = path.stat()
    return copy.deepcopy(_load_yaml_cached(str(path), st.st_mtime_ns, st.st_size))


@functools.lru_cache(maxsize=256)
def _load_yaml_cached(path: str, mtime_ns: int, size: int) -> Any:
    return load_yaml_strict(path)


def _validator(schema_path: Path, fill_defaults: bool):
    from jsonschema import Draft202012Validator, validators
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    schema_path = Path(schema_path).resolve()
    schema = _load_yaml(schema_path)
    schema["$id"] = schema_path.as_uri()

    def retrieve(uri: str):
        from urllib.parse import urlparse
        from urllib.request import url2pathname

        # Without its $schema, a section is validated by this (default-filling) validator
        # class; with it, jsonschema would switch to the plain class inside the section.
        contents = _load_yaml(Path(url2pathname(urlparse(uri).path)))
        contents.pop("$schema", None)
        return DRAFT202012.create_resource(contents)

    registry = Registry(retrieve=retrieve).with_resource(
        uri=schema_path.as_uri(), resource=Resource.from_contents(schema)
    )
    cls = Draft202012Validator
    if fill_defaults:
        validate_properties = cls.VALIDATORS["properties"]

        def set_defaults(validator, properties, instance, subschema):
            if isinstance(instance, dict):
                for prop, sub in properties.items():
                    if isinstance(sub, dict) and "default" in sub:
                        instance.setdefault(prop, copy.deepcopy(sub["default"]))
            yield from validate_properties(validator, properties, instance, subschema)

        cls = validators.extend(cls, {"properties": set_defaults})
    return cls(schema, registry=registry)


def _key(path: Iterable[Any]) -> str:
    out = ""
    for p in path:
        if isinstance(p, int):
            out += f"[{p}]"
        else:
            out += ("." if out else "") + str(p)
    return out or "(top level)"


def _fmt(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _describe(error) -> str:
    key = _key(error.absolute_path)
    v = error.validator
    sch = error.schema if isinstance(error.schema, dict) else {}
    desc = sch.get("description")
    inst = error.instance
    if v == "additionalProperties":
        allowed = sorted((sch.get("properties") or {}).keys())
        extra = sorted(set(inst) - set(allowed)) if isinstance(inst, dict) else []
        msgs = []
        for e in extra:
            close = difflib.get_close_matches(e, allowed, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            where = "at the top level" if key == "(top level)" else f"in {key}"
            msgs.append(
                f"config key {_key([*error.absolute_path, e])}: unknown key {e!r} {where}{hint}; "
                f"allowed keys: {', '.join(allowed)}"
            )
        return "\n".join(msgs)
    if v == "enum":
        allowed = ", ".join(str(a) for a in error.validator_value)
        return f"config key {key}: value {_fmt(inst)} is not allowed; allowed: {allowed}"
    if v == "const":
        return (
            f"config key {key}: value {_fmt(inst)} is not allowed; allowed: {error.validator_value}"
        )
    if v == "type":
        want = error.validator_value
        want = " or ".join(want) if isinstance(want, list) else want
        got = type(inst).__name__
        names = {
            "str": "string",
            "int": "integer",
            "float": "number",
            "bool": "boolean",
            "list": "list",
            "dict": "mapping",
            "NoneType": "empty",
        }
        noun = names.get(got, got)
        article = "an" if noun[0] in "aeiou" else "a"
        return f"config key {key}: value {_fmt(inst)} is {article} {noun}; expected {want}" + (
            f" ({desc})" if desc else ""
        )
    if v in ("minimum", "exclusiveMinimum"):
        rel = ">=" if v == "minimum" else ">"
        return f"config key {key}: value {_fmt(inst)} is too small; allowed: {rel} {error.validator_value}"
    if v in ("maximum", "exclusiveMaximum"):
        rel = "<=" if v == "maximum" else "<"
        return f"config key {key}: value {_fmt(inst)} is too large; allowed: {rel} {error.validator_value}"
    if v == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        return f"config key {_key([*error.absolute_path, missing])}: required key is missing" + (
            f" in {key}" if key != "(top level)" else ""
        )
    if v == "pattern":
        return (
            f"config key {key}: value {_fmt(inst)} does not match the pattern {error.validator_value}"
            + (f" ({desc})" if desc else "")
        )
    if v == "maxLength":
        return (
            f"config key {key}: value {_fmt(inst)} is {len(inst)} characters long; allowed: at "
            f"most {error.validator_value} characters" + (f" ({desc})" if desc else "")
        )
    if v in ("minItems", "maxItems", "uniqueItems", "minLength", "maxLength"):
        return f"config key {key}: value {_fmt(inst)} breaks {v} = {error.validator_value}"
    if v in ("oneOf", "anyOf") and error.context:
        from jsonschema.exceptions import best_match

        return _describe(best_match(error.context))
    return f"config key {key}: {error.message}" + (f" ({desc})" if desc else "")


def config_errors(config: dict, schema_path: str | Path | None = None) -> list[str]:
    """Every schema violation of ``config`` as one clear line (empty list when valid)."""
    schema_path = Path(schema_path) if schema_path else SCHEMA_DIR / "config.schema.yaml"
    validator = _validator(schema_path, fill_defaults=False)
    errors = sorted(validator.iter_errors(config), key=lambda e: [str(p) for p in e.absolute_path])
    lines: list[str] = []
    for e in errors:
        for text in _describe(e).splitlines():
            if text not in lines:
                lines.append(text)
    return lines


def check_config(
    config: dict, schema_path: str | Path | None = None, source: str = "config"
) -> dict:
    """Validate ``config``; raise :class:`ConfigError` listing every problem; return a copy with
    defaults filled in."""
    problems = config_errors(config, schema_path)
    if problems:
        raise ConfigError(
            f"{source}: {len(problems)} problem(s) in the study configuration:\n  - "
            + "\n  - ".join(problems)
        )
    filled = copy.deepcopy(config)
    schema_path = Path(schema_path) if schema_path else SCHEMA_DIR / "config.schema.yaml"
    _validator(schema_path, fill_defaults=True).validate(filled)
    return filled


def deep_update(base: dict, over: dict) -> dict:
    """Recursive dict update, as Snakemake merges ``--configfile`` overlays."""
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(base.get(k), dict):
            deep_update(base[k], v)
        else:
            base[k] = copy.deepcopy(v)
    return base


def load_config(*paths: str | Path, overrides: dict | None = None, schema_path=None) -> dict:
    """Load config files (later ones overlay earlier ones, as ``--configfile``), apply
    ``overrides`` (as ``--config``), validate and fill defaults."""
    cfg: dict = {}
    for p in paths:
        doc = _load_yaml(Path(p)) or {}
        if not isinstance(doc, dict):
            raise ConfigError(f"{p} must contain a mapping of config keys")
        deep_update(cfg, doc)
    if overrides:
        deep_update(cfg, overrides)
    return check_config(cfg, schema_path, source=", ".join(str(p) for p in paths) or "config")
