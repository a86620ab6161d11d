"""Settings in, bundle out: ``render(settings) -> {relative path: bytes}`` with no I/O.

What each backend renders, where each file lands in the bundle and where the
compose file mounts it is declared once, in :func:`plan`. Templates only fill
values; dashboards are copied byte-for-byte. Jinja runs with StrictUndefined,
so a value a template needs but the settings lack is an error, never an empty
string in a config file.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

from llmobs import catalog, services
from llmobs.errors import LlmobsError
from llmobs.services import (  # noqa: F401  (the bundle layout, re-exported for its readers)
    ALERTMANAGER_FILE,
    COLLECTOR_CONFIG,
    COMPOSE_FILE,
    DASHBOARDS,
    DASHBOARDS_DIR,
    DATADOG_DASHBOARD,
    GATEWAY_CONFIG,
    GENERATED_PRICES,
    PRICES,
    RULES_FILE,
)
from llmobs.services import File as _File
from llmobs.settings import Settings

_TEMPLATE_PACKAGES = ("collector", "prometheus", "tempo", "loki", "grafana")


@dataclass(frozen=True)
class Output(_File):
    """One file of the bundle, with the service that mounts it (from the services table)."""

    service: str | None = None


def plan(settings: Settings) -> list[Output]:
    """The files a bundle holds: each running service's files (from :mod:`llmobs.services`), the
    backend's own, the collector image's build context, and the compose file last (it mounts the others)."""
    outputs: list[Output] = []
    for svc in services.running(settings):
        for f in svc.files:
            if f.source == DASHBOARDS:  # one file per committed dashboard
                outputs += [
                    Output(f"{f.path}/{name}", f"llmobs.grafana.dashboards:{name}", f"{f.mount}/{name}", svc.name)
                    for name in dashboard_names()
                ]
            else:
                outputs.append(Output(f.path, f.source, f.mount, svc.name))
        if svc.name == catalog.COLLECTOR:
            # The llmobs collector image's build context (compose `build:`): the bundle builds it anywhere.
            outputs += [Output(f"collector/{rel}", f"llmobs.collector:{rel}") for rel in collector_build_files()]
    outputs += [Output(f.path, f.source, f.mount) for f in services.backend(settings).files]
    outputs.append(Output(COMPOSE_FILE, "stack/docker-compose.yml.j2"))
    return outputs


def collector_build_files() -> list[str]:
    """What ``collector/Dockerfile`` builds from: the builder manifest and the processor's sources.

    Tests and test data stay out: the image needs only what compiles.
    """
    root = files("llmobs.collector")
    found = ["Dockerfile", "builder-config.yaml"]

    def walk(folder: Any, prefix: str) -> None:
        for entry in folder.iterdir():
            rel = f"{prefix}/{entry.name}"
            if entry.is_dir():
                if entry.name not in ("testdata", "__pycache__"):
                    walk(entry, rel)
            elif entry.name in ("go.mod", "go.sum") or (
                entry.name.endswith(".go") and not entry.name.endswith("_test.go")
            ):
                found.append(rel)

    walk(root.joinpath("processor"), "processor")
    walk(root.joinpath("connector"), "connector")
    return sorted(found)


def _generate(source: str) -> bytes:
    from llmobs import cache

    if source == GENERATED_PRICES:
        return cache.price_file()  # prices.price_file(), cached by installed versions (issue 16)
    raise LlmobsError(f"unknown generated file {source}", where="llmobs.render", fix="report this as a bug")


def dashboard_names() -> list[str]:
    folder = files("llmobs.grafana.dashboards")
    return sorted(entry.name for entry in folder.iterdir() if entry.name.endswith(".json"))


def render(settings: Settings) -> dict[str, bytes]:
    """Render the whole compose bundle for ``settings.backend``; deterministic for equal settings.

    The Kubernetes target (llmobs.kubernetes) is made from this same bundle, so both targets run the
    same collector configs, rules and dashboards; it imports this module, never the reverse.
    """
    env = _environment()
    context = _context(settings)
    bundle: dict[str, bytes] = {}
    mounts: dict[str, list[Output]] = {}
    for out in plan(settings):
        if out.path == COMPOSE_FILE:
            context["mounts"] = mounts
            context["config_hash"] = {svc: _digest(bundle, outs) for svc, outs in mounts.items()}
        if out.generated:
            bundle[out.path] = _generate(out.source)
        elif out.static:
            package, _, resource = out.source.partition(":")
            bundle[out.path] = files(package).joinpath(resource).read_bytes()
        else:
            bundle[out.path] = _render_one(env, out.source, context).encode("utf-8")
        if out.service:
            mounts.setdefault(out.service, []).append(out)
    return bundle


def _context(settings: Settings) -> dict[str, Any]:
    running = services.running(settings)
    context: dict[str, Any] = {
        "s": settings,
        "c": catalog,
        "services": running,
        "service_names": [svc.name for svc in running],
        "images": {svc.name: services.image(settings, svc) for svc in running},
        "host_ports": settings.ports.model_dump(),
        # What the collector reads from the environment: the backend's secrets and otlp.headers' env refs.
        "collector_env": [
            *services.backend(settings).required_env,
            *(settings.otlp.env_vars() if settings.backend == "otlp" else []),
        ],
    }
    context.update(_extra_context(settings))
    return context


def gateway_config(settings: Settings) -> bytes:
    """The gateway's config alone (the Kubernetes target always has a gateway, even at one replica)."""
    return _render_one(_environment(), "collector/gateway.yaml.j2", _context(settings)).encode("utf-8")


def _extra_context(settings: Settings) -> dict[str, Any]:
    """Values computed from settings that several templates share (prices, PII rules, ...)."""
    from importlib.metadata import version

    from llmobs import alerting, enrich, limits, names

    return {
        "budget": limits.budget(settings.limits),
        "names": names,
        "enrich": enrich.enrich(settings.environment),
        "prices_version": version("genai-prices"),
        "gateway_dns_resolver": gateway_dns_resolver(catalog.COLLECTOR),
        **alerting.context(settings),
    }


def gateway_dns_resolver(hostname: str) -> str:
    """The gateway's ``LLMOBS_GATEWAY_RESOLVER`` where the llmobs collectors share one DNS name
    (compose service, Kubernetes headless service): every address it resolves to, re-resolved often."""
    return f'{{dns: {{hostname: {hostname}, port: "{catalog.OTLP_GRPC_PORT}", interval: 5s}}}}'


def _digest(bundle: dict[str, bytes], outputs: list[Output]) -> str:
    sha = hashlib.sha256()
    for out in outputs:
        sha.update(out.path.encode() + b"\0" + bundle[out.path] + b"\0")
    return sha.hexdigest()[:16]


def _render_one(env: Any, name: str, context: dict[str, Any]) -> str:
    import jinja2

    try:
        return env.get_template(name).render(context)
    except jinja2.UndefinedError as exc:
        raise LlmobsError(
            f"missing configuration value: {exc.message}", where=name, fix="report this as a bug"
        ) from None
    except jinja2.TemplateError as exc:
        raise LlmobsError(f"template error: {exc}", where=name, fix="report this as a bug") from None


def _environment() -> Any:
    import jinja2

    from llmobs import cache

    loaders: dict[str, jinja2.BaseLoader] = {p: jinja2.PackageLoader(f"llmobs.{p}", ".") for p in _TEMPLATE_PACKAGES}
    loaders["stack"] = jinja2.PackageLoader("llmobs", "templates")
    env = jinja2.Environment(
        loader=jinja2.PrefixLoader(loaders),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
        bytecode_cache=cache.jinja_bytecode_cache(),  # compiled templates kept on disk (issue 16)
    )
    env.filters["go_duration"] = go_duration
    env.filters["yaml_str"] = yaml_str
    return env


_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}


def seconds(duration: str) -> float:
    """Seconds in a Prometheus-style duration such as ``14d`` or ``1h30m``."""
    return sum(int(n) * _UNITS[u] for n, u in re.findall(r"(\d+)(ms|s|m|h|d|w|y)", duration))


def go_duration(duration: str) -> str:
    """A Prometheus-style duration as Go's ``time.ParseDuration`` accepts it (no d/w/y)."""
    total = seconds(duration)
    return f"{int(total // 3600)}h" if total % 3600 == 0 else f"{int(total)}s"


def yaml_str(value: str) -> str:
    """A YAML single-quoted scalar: regexes and OTTL go in verbatim, backslashes untouched."""
    return "'" + value.replace("'", "''") + "'"
