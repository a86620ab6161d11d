"""Loading settings from their four sources, remembering where each value came from.

Precedence, lowest to highest: built-in defaults < ``llmobs.yaml`` (or
``--config FILE``) < ``LLMOBS_*`` environment variables < ``--set KEY=VALUE``.
Every leaf value keeps its source so ``llmobs config show`` can answer "why is
this 3001?", and so a validation error can point at the file line, variable or
flag that caused it rather than at the merged result.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmobs.errors import LlmobsError
from llmobs.pii import PatternError

if TYPE_CHECKING:
    import yaml
    from pydantic import ValidationError

    from llmobs.settings import Settings

# PyYAML is imported only when there is YAML to read (a config file, a ``[...]``/``{...}`` value):
# ``config show``/``status`` without llmobs.yaml skip its ~15 ms (issue 16). Pydantic and the settings
# model (~0.2 s) only when settings are validated: ``config show`` usually reads its answer from the
# cache (:func:`effective`).

CONFIG_NAME = "llmobs.yaml"
ENV_PREFIX = "LLMOBS_"
DEFAULT = "default"


@dataclass
class Loaded:
    """Validated settings plus the source of every leaf key (dotted path -> source)."""

    settings: Settings
    sources: dict[str, str]
    config_path: Path | None
    base_dir: Path
    lines: dict[str, int] = field(default_factory=dict)

    def source_of(self, key: str) -> str:
        return self.sources.get(key, DEFAULT)


def load(
    config: Path | None = None,
    sets: list[str] | tuple[str, ...] = (),
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    backend: str | None = None,
) -> Loaded:
    """Merge the sources into validated :class:`Settings`; raise :class:`LlmobsError` on bad input."""
    from pydantic import ValidationError

    from llmobs.settings import Settings

    env = os.environ if env is None else env
    cwd = cwd or Path.cwd()
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    lines: dict[str, int] = {}

    path = _config_path(config, cwd)
    if path is not None:
        data, lines = _read_yaml(path, _display(path, cwd))
        _merge(values, sources, data, _display(path, cwd), lines)
    for name in _setting_vars(env, Settings.model_fields):
        parts = name[len(ENV_PREFIX) :].lower().split("__")
        _merge(values, sources, _nest(parts, _parse_value(env[name])), f"env {name}")
    for item in sets:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise LlmobsError(f"--set {item!r} is not KEY=VALUE", fix="write e.g. --set ports.grafana=3001")
        _merge(values, sources, _nest(key.strip().split("."), _parse_value(raw)), f"--set {key.strip()}")
    if backend is not None:
        _merge(values, sources, {"backend": backend}, "--backend")

    try:
        settings = Settings.model_validate(values)
    except ValidationError as exc:
        raise _user_error(exc, sources, lines) from None
    flat = flatten(settings.model_dump(mode="json"))
    full = {key: _source_for(key, sources) for key in flat}
    return Loaded(settings, full, path, (path.parent if path else cwd), lines)


def _setting_vars(env: Mapping[str, str], sections: Iterable[str]) -> list[str]:
    """The ``LLMOBS_*`` variables that set a setting (their first part names a top-level one), sorted;
    other LLMOBS_* variables (e.g. the collector's) are not settings."""
    wanted = set(sections)
    return [
        name
        for name in sorted(env)
        if name.startswith(ENV_PREFIX) and name[len(ENV_PREFIX) :].lower().split("__")[0] in wanted
    ]


@dataclass
class Effective:
    """What ``llmobs config show`` prints: each leaf key's value (as JSON) and source, and the file read."""

    rows: dict[str, tuple[Any, str]]
    config_path: Path | None

    @classmethod
    def of(cls, loaded: Loaded) -> Effective:
        flat = flatten(loaded.settings.model_dump(mode="json"))
        return cls({key: (value, loaded.source_of(key)) for key, value in flat.items()}, loaded.config_path)


def effective(
    config: Path | None = None,
    sets: list[str] | tuple[str, ...] = (),
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    backend: str | None = None,
) -> Effective:
    """:func:`load`'s values and sources, served from the cache when nothing they depend on changed.

    ``llmobs config show`` would spend most of its time importing pydantic and building the settings
    model (~0.2 s of ~0.45 s) to print what it printed last time (issue 16).
    """

    def produce(loaded: Loaded) -> dict[str, Any]:
        shown = Effective.of(loaded)
        return {
            "config_path": None if shown.config_path is None else str(shown.config_path),
            "rows": [[key, value, source] for key, (value, source) in shown.rows.items()],
        }

    record = by_settings("settings", produce, config=config, sets=sets, env=env, cwd=cwd, backend=backend)
    rows = {key: (value, source) for key, value, source in record["rows"]}
    return Effective(rows, None if record["config_path"] is None else Path(record["config_path"]))


def by_settings(
    kind: str,
    produce: Callable[[Loaded], Any],
    *,
    inputs: Iterable[Path] = (),
    extra: str = "",
    config: Path | None = None,
    sets: list[str] | tuple[str, ...] = (),
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    backend: str | None = None,
) -> Any:
    """``produce(load(...))`` (a JSON value), served from the cache when nothing it depends on changed.

    For work that is a pure function of the settings and of installed files: ``config show``'s table and
    ``render``'s bundle. Only a successful result is stored; a miss, a disabled or broken cache, and every
    error take :func:`load`'s path, so a bad setting is refused with the same line every time.
    The key: every installed llmobs file (the model, its defaults, the collector image version), the
    installed pydantic, PyYAML and RE2, ``inputs`` and ``extra`` (what else ``produce`` reads), the
    working directory, the settings file's path and bytes, ``--set`` and ``--backend``. The ``LLMOBS_*``
    variables that are settings are kept in the entry and compared on use, rather than hashed into its
    name: which ones are settings is the model's answer, and a variable that is no setting (a hash key,
    say) has no place in a file name. The entry holds those values in plain text, as ``config show``
    prints them: settings hold references to secrets, never secrets (README, "Use").
    """
    from llmobs import cache

    env = os.environ if env is None else env
    cwd = cwd or Path.cwd()
    path = _config_path(config, cwd)  # a missing --config file fails here, as in load()
    folder = cache.cache_dir()
    try:
        text = path.read_bytes() if path is not None else b""
    except OSError:
        folder = None  # load() says why it cannot be read
    if folder is None:
        return produce(load(config, sets, env, cwd, backend))
    import hashlib
    import json

    given = json.dumps([str(cwd), str(path), hashlib.sha256(text).hexdigest(), list(sets), backend, extra])
    entry = folder / f"{kind}-{cache.key(kind, [*_model_inputs(), *inputs], given)}"
    try:
        stored = json.loads(entry.read_bytes())
        if stored["env"] == {name: env[name] for name in _setting_vars(env, stored["sections"])}:
            return stored["value"]
    except (OSError, ValueError, KeyError, TypeError):
        pass  # no entry, another environment, or unreadable: load
    loaded = load(config, sets, env, cwd, backend)
    value = produce(loaded)
    sections = list(type(loaded.settings).model_fields)
    record = {"sections": sections, "env": {name: env[name] for name in _setting_vars(env, sections)}, "value": value}
    cache.store(entry, kind, json.dumps(record).encode())
    return value


def _model_inputs() -> list[Path]:
    """The installed files validated settings depend on: every llmobs file (the model, its defaults, the
    collector manifest that pins the default collector image), pydantic, PyYAML and RE2 (user PII
    patterns); found without importing."""
    from llmobs import cache

    return [
        *cache.llmobs_files(),
        *(file for name in ("pydantic", "pydantic_core", "yaml", "re2") for file in cache.package_files(name)),
    ]


def _config_path(config: Path | None, cwd: Path) -> Path | None:
    if config is not None:
        if not config.is_file():
            raise LlmobsError(
                "config file not found",
                where=str(config),
                fix=f"check the path, or run 'llmobs init' to write {CONFIG_NAME}",
            )
        return config.resolve()
    default = cwd / CONFIG_NAME
    return default if default.is_file() else None


def _display(path: Path, cwd: Path) -> str:
    try:
        return str(path.relative_to(cwd.resolve()))
    except ValueError:
        return str(path)


def _read_yaml(path: Path, shown: str) -> tuple[dict[str, Any], dict[str, int]]:
    """Parse the config file; return its data and the 1-based line of each dotted key."""
    import yaml

    try:
        text = path.read_text("utf-8")
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except OSError as exc:
        raise LlmobsError(f"cannot read it: {exc.strerror}", where=shown) from None
    except yaml.YAMLError as exc:
        # An unclosed bracket is reported at the end of the file; its opening line is more useful.
        mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
        where = f"{shown}:{mark.line + 1}" if mark else shown
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise LlmobsError(
            f"invalid YAML: {problem}", where=where, fix="check indentation and quoting on that line"
        ) from None
    if data is None:
        return {}, {}
    if not isinstance(data, dict):
        raise LlmobsError(
            "must be a mapping of settings (key: value)", where=shown, fix="see 'llmobs init' for the layout"
        )
    return data, _key_lines(node)


def _key_lines(node: yaml.Node | None, prefix: str = "") -> dict[str, int]:
    """Lines of mapping keys (``pii.mode``) and of list items and their keys (``pii.patterns[1].regex``)."""
    import yaml

    lines: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = f"{prefix}.{key_node.value}" if prefix else str(key_node.value)
            lines[key] = key_node.start_mark.line + 1
            lines.update(_key_lines(value_node, key))
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            key = f"{prefix}[{i}]"
            lines[key] = item.start_mark.line + 1
            lines.update(_key_lines(item, key))
    return lines


def _parse_value(raw: str) -> Any:
    """Values from env/--set: YAML for lists and maps (``[a, b]``, ``{k: v}``), otherwise the string.

    Scalars stay strings and pydantic converts them, so ``--set environment=yes``
    is the string "yes", not YAML's boolean.
    """
    stripped = raw.strip()
    if stripped[:1] in ("[", "{"):
        import yaml

        try:
            return yaml.safe_load(stripped)
        except yaml.YAMLError:
            return raw
    return raw


def _nest(parts: list[str], value: Any) -> dict[str, Any]:
    for part in reversed(parts):
        value = {part: value}
    return value


def _merge(
    into: dict[str, Any],
    sources: dict[str, str],
    new: Mapping[str, Any],
    source: str,
    lines: Mapping[str, int] | None = None,
    prefix: str = "",
) -> None:
    for key, value in new.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping) and isinstance(into.get(key), dict):
            _merge(into[key], sources, value, source, lines, dotted + ".")
            continue
        if isinstance(value, Mapping):
            into[key] = {}
            _merge(into[key], sources, value, source, lines, dotted + ".")
            continue
        into[key] = value
        sources[dotted] = f"{source}:{lines[dotted]}" if lines and dotted in lines else source
        # A list's items keep their own lines (an error in pii.patterns[1] names that item's line);
        # a list from a later source replaces them whole.
        for stale in [k for k in sources if k.startswith(dotted + "[")]:
            del sources[stale]
        if lines and isinstance(value, list):
            sources.update({k: f"{source}:{line}" for k, line in lines.items() if k.startswith(dotted + "[")})


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(flatten(value, dotted + "."))
        else:
            flat[dotted] = value
    return flat


def _source_for(key: str, sources: Mapping[str, str]) -> str:
    """The source of a key, or of the nearest parent set as a whole (lists, maps)."""
    probe = key
    while probe:
        if probe in sources:
            return sources[probe]
        parent = _LAST_PART.sub("", probe, count=1)  # pii.patterns[1].regex -> pii.patterns[1] -> pii.patterns
        if parent == probe:
            break
        probe = parent
    return DEFAULT


_LAST_PART = re.compile(r"(?:^|\.)[^.\[]*$|\[\d+\]$")


def _fields_at(path: list[str]) -> list[str]:
    from pydantic import BaseModel

    from llmobs.settings import Settings

    model: type[BaseModel] | None = Settings
    for part in path:
        info = model.model_fields.get(part) if model else None
        annotation = info.annotation if info else None
        model = annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None
    return list(model.model_fields) if model else []


def _user_error(exc: ValidationError, sources: Mapping[str, str], lines: Mapping[str, int]) -> LlmobsError:
    err = exc.errors()[0]
    cause = err.get("ctx", {}).get("error")
    if isinstance(cause, PatternError):  # a user regex: name the list item and its own source
        key = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err["loc"]).lstrip(".")
        where = _source_for(key, sources)
        return LlmobsError(cause.problem, where=None if where == DEFAULT else where, key=key, fix=cause.fix)
    loc = [str(p) for p in err["loc"] if not isinstance(p, int)]
    key = ".".join(loc)
    message = err["msg"].removeprefix("Value error, ")
    if not key:  # a cross-field check: it names its keys in the message
        named = [k for k in re.findall(r"[a-z_]+\.[a-z_.]+", message) if k in sources]
        key = named[0] if named else ""
        where = sources.get(key) if key else None
        return LlmobsError(message, where=where)
    where = _source_for(key, sources)
    if where == DEFAULT:  # an unknown section: its source is recorded on its leaves
        where = next((src for k, src in sources.items() if k.startswith(key + ".")), DEFAULT)
    where = None if where == DEFAULT else where
    if err["type"] == "extra_forbidden":
        import difflib

        choices = _fields_at(loc[:-1])
        close = difflib.get_close_matches(loc[-1], choices, n=1, cutoff=0.6)
        parent = ".".join(loc[:-1])
        hint = (
            f"did you mean {(parent + '.') if parent else ''}{close[0]}?"
            if close
            else f"known keys: {', '.join(choices)}"
        )
        return LlmobsError("unknown key", where=where, key=key, fix=hint)
    if err["type"] == "literal_error":
        return LlmobsError(f"{err['input']!r} is not allowed", where=where, key=key, fix=message.lower())
    fix = None
    if err["type"] in ("greater_than_equal", "less_than_equal") and loc[0] == "ports":
        fix = "choose a port between 1 and 65535"
    elif err["type"].endswith("_parsing") or err["type"].endswith("_type"):
        fix = f"give a value of the right type (got {err['input']!r})"
    return LlmobsError(message, where=where, key=key, fix=fix)
