"""The one table of what llmobs runs: services, their ports, readiness, data, files, and the backends.

Everything llmobs itself decides about a service is here: the image setting, the
host ports it publishes (by ``ports.*`` setting key) and the container ports behind
them, its readiness path, where a person goes, where it keeps data, what it starts
after, which config files the bundle mounts into it, and which backends run it.
The compose template, :mod:`llmobs.render`, :mod:`llmobs.ports`, :mod:`llmobs.health`,
:mod:`llmobs.lifecycle` and :mod:`llmobs.doctor` read it; nothing parses the
rendered compose file back to learn these facts (``tests/test_services.py``
checks both that the rendered compose file follows this table and that no
module reads it).

Fixed numbers (container ports, paths inside images) stay in :mod:`llmobs.catalog`;
what a user may change (host ports, images) stays in :mod:`llmobs.settings`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from llmobs import catalog as c

if TYPE_CHECKING:
    from llmobs.settings import Settings

# Where each file lands in the bundle (render writes them; kubernetes and the tests read them).
COMPOSE_FILE = "docker-compose.yml"
COLLECTOR_CONFIG = "collector/config.yaml"
GATEWAY_CONFIG = f"collector/{c.GATEWAY_CONFIG}"
PRICES = f"collector/{c.PRICES_FILE}"
DASHBOARDS_DIR = "grafana/dashboards"
RULES_FILE = "prometheus/rules/llmobs.yml"
ALERTMANAGER_FILE = "alertmanager/alertmanager.yml"
DATADOG_DASHBOARD = "datadog/dashboard.json"
GENERATED_PRICES = "generated:prices"  # written by llmobs.prices.price_file() from genai-prices
DASHBOARDS = "dashboards:"  # one File per JSON of the llmobs.grafana.dashboards package


@dataclass(frozen=True)
class File:
    """One file of the bundle: where it comes from, and where (if anywhere) a service mounts it.

    ``source`` is a template name (``collector/config.yaml.j2``), ``package:resource`` for a file
    copied byte for byte, or ``generated:...``.
    """

    path: str
    source: str
    mount: str | None = None

    @property
    def generated(self) -> bool:
        return self.source.startswith("generated:")

    @property
    def static(self) -> bool:
        return not self.source.endswith(".j2") and not self.generated


@dataclass(frozen=True)
class Port:
    """A published port: the ``ports.*`` setting that picks the host port, and the container port."""

    key: str
    container: int


@dataclass(frozen=True)
class Service:
    """One compose service as llmobs decides it."""

    name: str
    image: str  # the images.* setting key
    ports: tuple[Port, ...]
    ready_path: str  # answers 200 when ready (the images' own paths)
    front: str  # the ports.* key a person (or an app's OTLP/HTTP exporter) goes to
    data: str  # where it keeps its data inside the container (a volume)
    files: tuple[File, ...] = ()
    depends_on: tuple[str, ...] = ()
    replicas: int = 1
    build: str | None = None  # bundle-relative build context when the bundle can build the image
    ready_on: str | None = None  # the ports.* key readiness is polled on, when not the front door

    @property
    def scaled(self) -> bool:
        """Several instances (collector.replicas): each has its own anonymous data volume and a health
        port the engine picks; none publishes a fixed host port."""
        return self.replicas > 1

    @property
    def volume(self) -> str | None:
        """The named data volume; None for a scaled service (one anonymous volume per instance)."""
        return None if self.scaled else f"{self.name}-data"

    @property
    def ready_key(self) -> str:
        """The ports.* key readiness is polled on: ``ready_on``, else the front door."""
        return self.ready_on or self.front

    @property
    def health_port(self) -> int | None:
        """The container port a scaled service's instances publish on an engine-chosen host port."""
        return c.COLLECTOR_HEALTH_PORT if self.scaled else None


@dataclass(frozen=True)
class Backend:
    """One ``--backend``: the services it runs beside the collector tier, the files only it renders,
    and the environment variables the collector needs for it."""

    name: str
    services: tuple[str, ...]
    files: tuple[File, ...] = ()
    required_env: tuple[str, ...] = ()  # `up` refuses to start without them


_OTLP_PORTS = (
    Port("otlp_grpc", c.OTLP_GRPC_PORT),
    Port("otlp_http", c.OTLP_HTTP_PORT),
    Port("collector_health", c.COLLECTOR_HEALTH_PORT),
)


def _collector_files() -> tuple[File, ...]:
    config_dir = c.COLLECTOR_CONFIG_DIR
    return (
        File(COLLECTOR_CONFIG, "collector/config.yaml.j2", f"{config_dir}/config.yaml"),
        File(PRICES, GENERATED_PRICES, f"{config_dir}/{c.PRICES_FILE}"),
    )


# The backend services (the collector tier is built by collector_tier(): it depends on settings).
_FIXED = {
    svc.name: svc
    for svc in (
        Service(
            c.PROMETHEUS,
            "prometheus",
            (Port("prometheus", c.PROMETHEUS_PORT),),
            "/-/ready",  # /-/healthy answers 200 before the TSDB is open
            "prometheus",
            "/prometheus",
            (
                File("prometheus/prometheus.yml", "prometheus/prometheus.yml.j2", "/etc/prometheus/prometheus.yml"),
                File(RULES_FILE, "prometheus/rules.yml.j2", "/etc/prometheus/rules/llmobs.yml"),
            ),
        ),
        Service(
            c.ALERTMANAGER,
            "alertmanager",
            (Port("alertmanager", c.ALERTMANAGER_PORT),),
            "/-/ready",
            "alertmanager",
            c.ALERTMANAGER_DATA,
            (File(ALERTMANAGER_FILE, "prometheus/alertmanager.yml.j2", c.ALERTMANAGER_CONFIG),),
        ),
        Service(
            c.TEMPO,
            "tempo",
            (Port("tempo", c.TEMPO_HTTP_PORT),),
            "/ready",
            "tempo",
            "/var/tempo",
            (File("tempo/tempo.yaml", "tempo/tempo.yaml.j2", "/etc/tempo/tempo.yaml"),),
        ),
        Service(
            c.LOKI,
            "loki",
            (Port("loki", c.LOKI_PORT),),
            "/ready",
            "loki",
            "/loki",
            (File("loki/loki.yaml", "loki/loki.yaml.j2", "/etc/loki/loki.yaml"),),
        ),
        Service(
            c.GRAFANA,
            "grafana",
            (Port("grafana", c.GRAFANA_PORT),),
            "/api/health",
            "grafana",
            "/var/lib/grafana",
            (
                File(
                    "grafana/provisioning/datasources/llmobs.yaml",
                    "grafana/datasources.yaml.j2",
                    "/etc/grafana/provisioning/datasources/llmobs.yaml",
                ),
                File(
                    "grafana/provisioning/dashboards/llmobs.yaml",
                    "grafana/dashboards.yaml.j2",
                    "/etc/grafana/provisioning/dashboards/llmobs.yaml",
                ),
                File(DASHBOARDS_DIR, DASHBOARDS, c.GRAFANA_DASHBOARDS),  # expanded by render: one file per dashboard
            ),
            depends_on=(c.PROMETHEUS, c.ALERTMANAGER, c.TEMPO, c.LOKI),
        ),
    )
}

BACKENDS = {
    b.name: b
    for b in (
        Backend("grafana", (c.PROMETHEUS, c.ALERTMANAGER, c.TEMPO, c.LOKI, c.GRAFANA)),
        Backend(
            "datadog",
            (),
            (File(DATADOG_DASHBOARD, "llmobs.templates:datadog-dashboard.json"),),
            required_env=("DD_API_KEY",),
        ),
        Backend("otlp", ()),
    )
}
assert tuple(BACKENDS) == c.BACKENDS  # the settings' Literal and this table name the same backends


def collector_tier(settings: Settings) -> list[Service]:
    """The llmobs collector, or (collector.replicas > 1) N of them behind a load-balancing gateway.

    The gateway then publishes the OTLP and health ports; the collectors publish only their health,
    each on a port the engine picks.
    """
    from llmobs import versions

    replicas = settings.collector.replicas
    build = "./collector" if settings.images.collector == versions.collector_image() else None
    collector = Service(
        c.COLLECTOR,
        "collector",
        _OTLP_PORTS if replicas == 1 else (),
        "/",  # health_check extension, default path
        "otlp_http",
        c.COLLECTOR_STORAGE_DIR,
        _collector_files(),
        replicas=replicas,
        build=build,
        ready_on="collector_health",  # the health_check extension's own port
    )
    if replicas == 1:
        return [collector]
    gateway = Service(
        c.GATEWAY,
        "collector",
        _OTLP_PORTS,
        "/",
        "otlp_http",
        c.COLLECTOR_STORAGE_DIR,
        (File(GATEWAY_CONFIG, "collector/gateway.yaml.j2", f"{c.COLLECTOR_CONFIG_DIR}/{c.GATEWAY_CONFIG}"),),
        depends_on=(c.COLLECTOR,),
        ready_on="collector_health",
    )
    return [collector, gateway]


def backend(settings: Settings) -> Backend:
    return BACKENDS[settings.backend]


def running(settings: Settings) -> list[Service]:
    """Every service these settings run, in compose-file order."""
    return [*collector_tier(settings), *(_FIXED[name] for name in backend(settings).services)]


def by_name(settings: Settings) -> dict[str, Service]:
    return {svc.name: svc for svc in running(settings)}


def image(settings: Settings, svc: Service) -> str:
    return str(getattr(settings.images, svc.image))


def host_port(settings: Settings, key: str) -> int:
    return int(getattr(settings.ports, key))
