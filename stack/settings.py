"""The settings model: every knob llmobs has, with a default for each.

A newcomer should find a setting here, its rendered use in a template under
the component folder (the services table, ``llmobs.services``, says which file), and its
run-time use in ``llmobs.lifecycle``. The model is
strict (unknown keys are errors) because a typo in ``llmobs.yaml`` that is
silently ignored is worse than no config file at all.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from llmobs import catalog, pii, versions

_DURATION = re.compile(r"^(?:\d+(?:ms|s|m|h|d|w|y))+$")
_ENV_REF = r"\$\{env:[A-Za-z_][A-Za-z0-9_]*\}"
_HEADER_VALUE = re.compile(rf"^(?:(?:Basic|Bearer|ApiKey|Token) )?{_ENV_REF}$")
_PROJECT = re.compile(r"^[a-z0-9][a-z0-9_-]*$")

Backend = Literal["grafana", "datadog", "otlp"]
DATADOG_SITES = (
    "datadoghq.com",
    "us3.datadoghq.com",
    "us5.datadoghq.com",
    "datadoghq.eu",
    "ap1.datadoghq.com",
    "ap2.datadoghq.com",
    "ddog-gov.com",
)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class Ports(_Model):
    """Host ports the stack publishes (on ``bind_address``)."""

    grafana: int = Field(catalog.GRAFANA_PORT, ge=1, le=65535, description="Grafana UI")
    prometheus: int = Field(catalog.PROMETHEUS_PORT, ge=1, le=65535, description="Prometheus UI and API")
    tempo: int = Field(catalog.TEMPO_HTTP_PORT, ge=1, le=65535, description="Tempo HTTP API")
    loki: int = Field(catalog.LOKI_PORT, ge=1, le=65535, description="Loki HTTP API")
    otlp_grpc: int = Field(catalog.OTLP_GRPC_PORT, ge=1, le=65535, description="collector OTLP/gRPC")
    otlp_http: int = Field(catalog.OTLP_HTTP_PORT, ge=1, le=65535, description="collector OTLP/HTTP")
    collector_health: int = Field(catalog.COLLECTOR_HEALTH_PORT, ge=1, le=65535, description="collector health check")
    alertmanager: int = Field(catalog.ALERTMANAGER_PORT, ge=1, le=65535, description="Alertmanager UI and API")


def _check_image(value: str) -> str:
    if "@sha256:" in value:
        return value
    name, _, tag = value.rpartition(":")
    if not name or "/" in tag or not tag:
        raise ValueError(f"image {value!r} has no tag; pin a version such as {value}:1.2.3")
    if tag == "latest":
        raise ValueError(f"image {value!r} uses 'latest'; pin a version")
    return value


class Images(_Model):
    """Container images, each pinned to a version (``latest`` is refused)."""

    collector: str = Field(default_factory=versions.collector_image)
    prometheus: str = versions.PROMETHEUS_IMAGE
    tempo: str = versions.TEMPO_IMAGE
    loki: str = versions.LOKI_IMAGE
    grafana: str = versions.GRAFANA_IMAGE
    alertmanager: str = versions.ALERTMANAGER_IMAGE

    _pinned = field_validator("*")(classmethod(lambda cls, v: _check_image(v)))


class Retention(_Model):
    """How long each backend keeps data (Prometheus-style durations: 12h, 14d, 2w)."""

    traces: str = "14d"
    logs: str = "14d"
    metrics: str = "30d"

    @field_validator("*")
    @classmethod
    def _duration(cls, value: str) -> str:
        if not _DURATION.match(value):
            raise ValueError(f"{value!r} is not a duration like 12h, 14d or 2w")
        return value


class PiiPattern(_Model):
    """A user-defined pattern, masked with ``[<NAME>]``; must be a regex the collector (Go, RE2) compiles."""

    name: str = Field(pattern=r"^[A-Z][A-Z0-9_]*$")
    regex: str

    @field_validator("regex")
    @classmethod
    def _compiles_in_the_collector(cls, value: str) -> str:
        # Checked here, when settings load, so `config show`, `render` and `up` refuse a bad pattern alike;
        # llmobs.config turns pii.PatternError into one line naming the file line, variable or --set.
        pii.check_pattern(value)
        return value


class Pii(_Model):
    """PII handling in the collector: mask (typed placeholders), drop content, or off."""

    mode: Literal["mask", "drop", "off"] = "mask"
    patterns: list[PiiPattern] = []


class Privacy(_Model):
    """What the collector does to identifiers (never masked as PII; user ids may be hashed)."""

    hash_user_ids: bool = Field(
        False,
        description="replace user.id (and other SDKs' spellings) by a keyed hash; key from LLMOBS_USER_ID_HASH_KEY",
    )


# Attributes whose values grow with traffic: never metric labels (their views read traces instead).
UNBOUNDED_ATTRIBUTES = (
    "user.id",
    "enduser.id",
    "session.id",
    "gen_ai.conversation.id",
    "gen_ai.response.id",
    "gen_ai.tool.call.id",
    "mcp.session.id",
    "jsonrpc.request.id",
)


class Metrics(_Model):
    """Extra labels of the cost and token metrics (per-feature cost), bounded so Prometheus stays small."""

    labels: list[str] = Field(
        default_factory=list,
        description="span attributes that become labels of the cost/token metrics, e.g. gen_ai.agent.name",
    )
    max_label_values: int = Field(
        50, ge=1, le=10_000, description="distinct values kept per label; later ones are counted as 'other'"
    )

    @field_validator("labels")
    @classmethod
    def _bounded(cls, labels: list[str]) -> list[str]:
        for name in labels:
            if not re.match(r"^[A-Za-z_][A-Za-z0-9_.]*$", name):
                raise ValueError(f"{name!r} is not an attribute name such as gen_ai.agent.name or llmobs.feature")
            if name in UNBOUNDED_ATTRIBUTES:
                raise ValueError(
                    f"{name!r} has a value per user or request and would make one series each; the LLM"
                    " conversations dashboard reads it from traces instead"
                )
        if len(set(labels)) != len(labels):
            raise ValueError("a label is listed twice")
        return labels


class PriceOverride(_Model):
    """A price (USD per million tokens) that wins over genai-prices for one model."""

    provider: str
    model: str
    match: Literal["equals", "starts_with"] = "equals"
    input: float = Field(ge=0)
    output: float = Field(ge=0)
    cache_read: float | None = Field(None, ge=0)
    cache_write: float | None = Field(None, ge=0)


class Anomaly(_Model):
    """ "This is unusual" alerts: the last hour compared with the same hour last week and yesterday.

    Guards keep them quiet where a ratio means nothing: fewer than ``min_calls_per_hour`` LLM calls
    now or in the compared hour (3 requests are no trend), and a service/model without a week of
    history (a new service must not alert in its first week). Prometheus must keep at least 8 days
    of metrics (``retention.metrics``) for them to fire.
    """

    cost_factor: float = Field(2.0, gt=1, description="alert when spend per hour is this many times the reference")
    tokens_per_call_factor: float = Field(1.5, gt=1, description="same for tokens (input + output) per LLM call")
    error_ratio_factor: float = Field(2.0, gt=1, description="same for the share of failed LLM calls")
    min_error_ratio: float = Field(0.02, gt=0, le=1, description="and only when at least this share fails")
    min_calls_per_hour: int = Field(20, ge=1, description="low-traffic guard: LLM calls in the hour, now and then")


class Alerts(_Model):
    """Thresholds of the Prometheus alert rules."""

    error_ratio: float = Field(0.05, gt=0, le=1, description="share of failed LLM calls")
    p95_latency_seconds: float = Field(20.0, gt=0)
    cost_per_hour_usd: float = Field(5.0, gt=0, description="spend per hour above which to alert")
    rate_limited_per_minute: float = Field(5.0, gt=0, description="429 responses per minute")
    budget_thresholds: list[float] = Field(
        [0.8, 1.0], min_length=1, description="shares of each budget at which to alert (1.0 and above: critical)"
    )
    anomaly: Anomaly = Anomaly()

    @field_validator("budget_thresholds")
    @classmethod
    def _shares(cls, values: list[float]) -> list[float]:
        for value in values:
            if not 0 < value <= 10:
                raise ValueError(f"{value:g} is not a share of a budget; use e.g. 0.8 for 80 % or 1.0 for 100 %")
        if len(set(values)) != len(values):
            raise ValueError("a threshold is listed twice; list each once, e.g. [0.8, 1.0]")
        return sorted(values)


def _env_var(value: str) -> str:
    """The VAR of a whole-value ``${env:VAR}`` reference ('' when it is none)."""
    match = re.fullmatch(_ENV_REF, value)
    return match[0][6:-1] if match else ""


_LABEL_VALUE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/@+ -]*$")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
# receiver type -> (fields it needs, fields it may have, fields that must be ${env:VAR} references)
RECEIVER_FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "webhook": (("url",), ("bearer_token",), ("bearer_token",)),
    "slack": (("url",), ("channel",), ("url",)),
    "email": (("to", "from_", "smarthost"), ("username", "password", "require_tls"), ("password",)),
    "pagerduty": (("routing_key",), (), ("routing_key",)),
}
ENV_EXAMPLES = {
    "url": "SLACK_WEBHOOK_URL",
    "bearer_token": "ALERT_WEBHOOK_TOKEN",
    "password": "SMTP_PASSWORD",
    "routing_key": "PAGERDUTY_ROUTING_KEY",
}


class Receiver(_Model):
    """Where Alertmanager sends notifications. Secrets are ``${env:VAR}`` references only: the
    variable is handed to the Alertmanager container as a compose secret (a file only inside the
    container), never written into the bundle."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, populate_by_name=True)

    name: str
    type: Literal["webhook", "slack", "email", "pagerduty"]
    url: str | None = None  # webhook: a URL or ${env:VAR}; slack: ${env:VAR} (the incoming-webhook URL)
    bearer_token: str | None = None  # webhook
    channel: str | None = None  # slack
    to: str | None = None  # email ...
    from_: str | None = Field(None, alias="from")
    smarthost: str | None = None
    username: str | None = None
    password: str | None = None
    require_tls: bool | None = None
    routing_key: str | None = None  # pagerduty (Events API v2)
    send_resolved: bool = True

    @model_validator(mode="after")
    def _fields_of_type(self) -> Receiver:
        if not _NAME.match(self.name):
            raise ValueError(f"receiver name {self.name!r} must be lowercase letters, digits, '-' or '_'")
        needs, may, secret = RECEIVER_FIELDS[self.type]
        shown = {"from_": "from"}
        for key in type(self).model_fields:
            if key in ("name", "type", "send_resolved") or getattr(self, key) is None:
                continue
            if key not in needs + may:
                raise ValueError(
                    f"receiver {self.name!r} ({self.type}) has no {shown.get(key, key)}; "
                    f"it takes {', '.join(shown.get(k, k) for k in needs + may)}"
                )
        for key in needs:
            if getattr(self, key) is None:
                raise ValueError(f"receiver {self.name!r} ({self.type}) needs {shown.get(key, key)}")
        for key in secret:
            value = getattr(self, key)
            if value is not None and not _env_var(value):
                raise ValueError(
                    f"receiver {self.name!r}: {key} is a secret and must reference an environment variable"
                    f" such as '${{env:{ENV_EXAMPLES[key]}}}', never hold the value"
                )
        plain_url = self.type == "webhook" and self.url and not _env_var(self.url)
        if plain_url and not re.match(r"^https?://[^/@\s]+(/\S*)?$", self.url or ""):
            raise ValueError(
                f"receiver {self.name!r}: url {self.url!r} must be http(s)://host[:port]/path without"
                " credentials, or '${env:ALERT_WEBHOOK_URL}' when it holds a token"
            )
        if self.smarthost is not None and not re.match(r"^[A-Za-z0-9.\-\[\]:]+:\d+$", self.smarthost):
            raise ValueError(f"receiver {self.name!r}: smarthost {self.smarthost!r} must be host:port")
        return self

    def secrets(self) -> dict[str, str]:
        """field -> environment variable, for every field given as ``${env:VAR}``."""
        return {
            key: _env_var(value)
            for key in ("url", "bearer_token", "password", "routing_key")
            if (value := getattr(self, key)) is not None and _env_var(value)
        }


class Route(_Model):
    """Alerts matching every list given (severity, service, environment) go to ``receiver``."""

    receiver: str
    severity: list[Literal["critical", "warning", "info"]] = []
    services: list[str] = []
    environments: list[str] = []

    @field_validator("services", "environments")
    @classmethod
    def _values(cls, values: list[str]) -> list[str]:
        for value in values:
            if not _LABEL_VALUE.match(value):
                raise ValueError(f"{value!r} must be letters, digits and . _ : / @ + - (a service or environment name)")
        return values


class Alerting(_Model):
    """Alertmanager: who is told about firing alerts, and how often (grafana backend)."""

    receivers: list[Receiver] = []
    routes: list[Route] = []
    default_receiver: str | None = Field(None, description="gets alerts no route matches (default: the first receiver)")
    group_by: list[str] = ["alertname", "service_name", "deployment_environment_name", "budget"]
    group_wait: str = Field("30s", description="wait this long to batch the first alerts of a group")
    group_interval: str = Field("5m", description="wait this long before notifying about new alerts in a group")
    repeat_interval: str = Field("4h", description="repeat a still-firing alert this often")

    @field_validator("group_wait", "group_interval", "repeat_interval")
    @classmethod
    def _duration(cls, value: str) -> str:
        if not _DURATION.match(value):
            raise ValueError(f"{value!r} is not a duration like 30s, 5m or 4h")
        return value

    @field_validator("group_by")
    @classmethod
    def _labels(cls, values: list[str]) -> list[str]:
        for value in values:
            if not re.match(r"^[a-zA-Z_][a-zA-Z0-9_]*$", value):
                raise ValueError(f"{value!r} is not a Prometheus label name such as service_name")
        return values

    @model_validator(mode="after")
    def _known_receivers(self) -> Alerting:
        names = [r.name for r in self.receivers]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f"receivers: two are named {name!r}; give each its own name")
        wanted = [(f"routes[{i}].receiver", r.receiver) for i, r in enumerate(self.routes)]
        if self.default_receiver is not None:
            wanted.append(("default_receiver", self.default_receiver))
        for key, name in wanted:
            if name not in names:
                known = ", ".join(names) or "none defined: add one under alerting.receivers"
                raise ValueError(f"{key}: no receiver named {name!r} (receivers: {known})")
        return self

    def env_vars(self) -> list[str]:
        """Environment variables the receivers' secrets reference (Alertmanager needs them at run time)."""
        return sorted({var for r in self.receivers for var in r.secrets().values()})


class Budget(_Model):
    """A spend budget in US dollars, for the LLM calls matching every selector given (none: all calls)."""

    name: str | None = None
    service: str | None = None
    environment: str | None = None
    provider: str | None = None
    model: str | None = None
    daily_usd: float | None = Field(None, gt=0)
    monthly_usd: float | None = Field(None, gt=0)

    @model_validator(mode="after")
    def _amount(self) -> Budget:
        for key in ("service", "environment", "provider", "model"):
            value = getattr(self, key)
            if value is not None and not _LABEL_VALUE.match(value):
                raise ValueError(f"budget {key} {value!r} must be letters, digits and . _ : / @ + -")
        if self.name is not None and not _NAME.match(self.name):
            raise ValueError(f"budget name {self.name!r} must be lowercase letters, digits, '-' or '_'")
        if self.daily_usd is None and self.monthly_usd is None:
            raise ValueError(
                f"budget {self.label!r} has no amount; give daily_usd or monthly_usd (US dollars),"
                " e.g. monthly_usd: 500"
            )
        return self

    @property
    def label(self) -> str:
        """The ``budget`` label of its rules and alerts: the name, else its selectors joined by '/'."""
        parts = [v for v in (self.service, self.environment, self.provider, self.model) if v]
        return self.name or "/".join(parts) or "all"


class Datadog(_Model):
    site: str = "datadoghq.com"

    @field_validator("site")
    @classmethod
    def _known_site(cls, value: str) -> str:
        if value not in DATADOG_SITES:
            raise ValueError(f"unknown Datadog site {value!r}; one of: {', '.join(DATADOG_SITES)}")
        return value


class Otlp(_Model):
    """A generic OTLP vendor for ``backend: otlp``.

    Transport security follows the endpoint: ``https://`` is TLS, ``http://`` is plaintext, and a
    bare ``host:port`` is TLS unless ``tls: off`` (safe by default: vendors terminate TLS, and a
    plaintext connection to a TLS port fails loudly rather than leaking data). ``tls: on`` / ``off``
    must agree with a scheme when one is given.
    """

    endpoint: str = ""
    protocol: Literal["grpc", "http"] = "grpc"
    tls: Literal["auto", "on", "off"] = Field(
        "auto", description="auto: https:// and host:port use TLS, http:// is plaintext; on/off: force it"
    )
    headers: dict[str, str] = {}
    signals: list[Literal["traces", "metrics", "logs"]] = ["traces", "metrics", "logs"]

    @field_validator("headers")
    @classmethod
    def _env_only(cls, headers: dict[str, str]) -> dict[str, str]:
        for name, value in headers.items():
            if not _HEADER_VALUE.match(value):
                raise ValueError(
                    f"header {name!r} must reference an environment variable such as "
                    f"'${{env:MY_TOKEN}}' or 'Bearer ${{env:MY_TOKEN}}', never hold a secret"
                )
        return headers

    def env_vars(self) -> list[str]:
        """Environment variables the headers reference (the collector needs them at run time)."""
        return sorted({m for v in self.headers.values() for m in re.findall(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}", v)})

    @field_validator("endpoint")
    @classmethod
    def _url(cls, value: str) -> str:
        scheme = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*)://", value)
        if scheme and scheme[1].lower() not in ("http", "https"):
            raise ValueError(
                f"scheme {scheme[1]!r} of {value!r} is not supported; use https:// (TLS), http:// (plaintext)"
                " or host:port"
            )
        if value and not re.match(r"^(https?://)?[A-Za-z0-9.\-\[\]:]+(:\d+)?(/.*)?$", value):
            raise ValueError(f"{value!r} is not an endpoint like https://otlp.example.com:4317")
        return value

    @property
    def scheme(self) -> str:
        """``http``, ``https`` or ``""`` (a bare host:port)."""
        match = re.match(r"^(https?)://", self.endpoint, re.IGNORECASE)
        return match[1].lower() if match else ""

    @property
    def insecure(self) -> bool:
        """True when the exporter must speak plaintext: an ``http://`` endpoint, or ``tls: off``."""
        return self.scheme == "http" or (self.scheme == "" and self.tls == "off")

    @property
    def exporter_endpoint(self) -> str:
        """The endpoint as the collector's exporter takes it: gRPC gets ``host:port`` (security is
        rendered as ``tls.insecure``); HTTP gets a URL whose scheme says it."""
        rest = re.sub(r"^https?://", "", self.endpoint, flags=re.IGNORECASE)
        if self.protocol == "grpc":
            return rest.split("/", 1)[0]
        return f"{'http' if self.insecure else 'https'}://{rest}"

    @model_validator(mode="after")
    def _grpc_port(self) -> Otlp:
        hostport = re.sub(r"^https?://", "", self.endpoint).split("/", 1)[0]
        if self.endpoint and self.protocol == "grpc" and not re.search(r":\d+$", hostport):
            raise ValueError(
                f"otlp.endpoint {self.endpoint!r} needs a port for gRPC (e.g. {hostport}:4317 or {hostport}:443),"
                " or set otlp.protocol=http"
            )
        path = re.sub(r"^https?://", "", self.endpoint).partition("/")[2]
        if self.protocol == "grpc" and path:
            raise ValueError(
                f"otlp.endpoint {self.endpoint!r} has a path (/{path}), which gRPC cannot use;"
                " drop it or set otlp.protocol=http"
            )
        if self.scheme and self.tls != "auto" and (self.tls == "on") != (self.scheme == "https"):
            raise ValueError(
                f"otlp.tls is {self.tls!r} but otlp.endpoint {self.endpoint!r} says {self.scheme}://;"
                " drop the scheme or set otlp.tls=auto"
            )
        return self


class Limits(_Model):
    """The end-to-end size budget: the largest content the stack keeps, from app to backend.

    Every size limit on the path is rendered from these two numbers (collector receivers and
    export batches, Loki's gRPC, line and structured-metadata limits, Tempo's attribute and
    trace limits), so a record that fits here is never refused downstream. Larger content is
    cut by the collector's llmobs processor, visibly: the value ends in
    ``...[truncated N bytes]`` and the cut is counted.
    """

    max_value_bytes: int = Field(
        512 * 1024, ge=1024, le=8 * 1024 * 1024, description="largest string value kept (a prompt, a completion)"
    )
    max_record_bytes: int = Field(
        2 * 1024 * 1024,
        ge=4096,
        le=16 * 1024 * 1024,
        description="largest total of string values in one span, span event or log record",
    )

    @model_validator(mode="after")
    def _ordered(self) -> Limits:
        if self.max_record_bytes < self.max_value_bytes:
            raise ValueError(
                f"limits.max_record_bytes ({self.max_record_bytes}) is below limits.max_value_bytes"
                f" ({self.max_value_bytes}); make it at least as large"
            )
        return self


class Collector(_Model):
    memory_limit_mib: int = Field(512, ge=128, description="container memory limit")
    queue_mib: int = Field(
        512,
        ge=16,
        le=1024 * 1024,
        description="disk each exporter's persistent queue may fill while its backend is away; beyond it the"
        " collector refuses data with a retryable error (apps' SDKs retry)",
    )
    replicas: int = Field(
        1,
        ge=1,
        le=64,
        description="llmobs collectors behind a load-balancing gateway (1: one collector, no gateway)",
    )


class ObjectStorage(_Model):
    """Where the Kubernetes target's Tempo and Loki keep their blocks and chunks (one bucket each).

    Credentials are never settings: ``secret`` names a Kubernetes Secret the charts read them from
    (s3: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY; azure: AZURE_STORAGE_ACCOUNT_KEY; gcs: a
    ``key.json`` service-account file, or none with Workload Identity).
    """

    type: Literal["s3", "gcs", "azure"] = Field("s3", description="s3 (or S3-compatible), gcs or azure")
    traces_bucket: str = Field("", description="bucket (azure: container) for Tempo's blocks")
    logs_bucket: str = Field("", description="bucket (azure: container) for Loki's chunks and index")
    region: str = Field("", description="s3: the bucket's region")
    endpoint: str = Field("", description="s3: host of an S3-compatible store (empty: AWS)")
    account: str = Field("", description="azure: the storage account name")
    secret: str = Field("llmobs-object-storage", description="Kubernetes Secret holding the credentials")

    @field_validator("traces_bucket", "logs_bucket", "account")
    @classmethod
    def _bucket(cls, value: str) -> str:
        if value and not re.match(r"^[a-z0-9][a-z0-9._-]{1,62}$", value):
            raise ValueError(f"{value!r} is not a bucket name (lowercase letters, digits, '.', '-', '_')")
        return value


class Kubernetes(_Model):
    """``llmobs render --target kubernetes``: values files for the upstream Helm charts."""

    namespace: str = Field("llmobs", description="namespace the README's helm commands install into")
    storage_class: str = Field("", description="StorageClass of the collectors' queue volumes (empty: default)")
    queue_volume_gib: int = Field(5, ge=1, description="size of each llmobs collector's persistent queue volume")
    gateway_max_replicas: int = Field(6, ge=1, description="upper bound of the gateway's HorizontalPodAutoscaler")
    kafka_address: str = Field(
        "kafka:9092", description="Kafka bootstrap address for Tempo 3 distributed (not installed by llmobs)"
    )
    storage: ObjectStorage = ObjectStorage()

    @field_validator("namespace", "storage_class")
    @classmethod
    def _dns_label(cls, value: str) -> str:
        if value and not re.match(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", value):
            raise ValueError(f"{value!r} is not a Kubernetes name (lowercase letters, digits and '-')")
        return value


class Grafana(_Model):
    anonymous_role: Literal["Viewer", "Editor"] = Field(
        "Viewer", description="role of anonymous users when Grafana is bound to loopback"
    )


class Settings(_Model):
    """Everything llmobs renders from. Defaults alone give a working local stack."""

    project: str = Field("llmobs", description="compose project name")
    environment: str = Field("development", min_length=1, description="deployment.environment.name")
    backend: Backend = "grafana"
    bind_address: str = Field("127.0.0.1", description="address published ports bind to")
    ports: Ports = Ports()
    images: Images = Images()
    retention: Retention = Retention()
    pii: Pii = Pii()
    privacy: Privacy = Privacy()
    metrics: Metrics = Metrics()
    prices: list[PriceOverride] = []
    limits: Limits = Limits()
    alerts: Alerts = Alerts()
    alerting: Alerting = Alerting()
    budgets: list[Budget] = []
    datadog: Datadog = Datadog()
    otlp: Otlp = Otlp()
    collector: Collector = Collector()
    grafana: Grafana = Grafana()
    kubernetes: Kubernetes = Kubernetes()

    @field_validator("project")
    @classmethod
    def _project(cls, value: str) -> str:
        if not _PROJECT.match(value):
            raise ValueError(f"{value!r} must be lowercase letters, digits, '-' or '_'")
        return value

    @field_validator("environment")
    @classmethod
    def _environment(cls, value: str) -> str:
        if not re.match(r"^[A-Za-z0-9][A-Za-z0-9._-]*$", value):
            raise ValueError(f"{value!r} must be letters, digits, '.', '-' or '_' (e.g. production)")
        return value

    @field_validator("bind_address")
    @classmethod
    def _address(cls, value: str) -> str:
        try:
            ipaddress.ip_address(value)
        except ValueError:
            raise ValueError(f"{value!r} is not an IP address such as 127.0.0.1") from None
        return value

    @model_validator(mode="after")
    def _cross_checks(self) -> Settings:
        seen: dict[int, str] = {}
        for name, port in self.ports.model_dump().items():
            if port in seen:
                raise ValueError(f"ports.{name} and ports.{seen[port]} are both {port}; give each its own port")
            seen[port] = name
        labels = [b.label for b in self.budgets]
        for label in labels:
            if labels.count(label) > 1:
                raise ValueError(f"budgets: two budgets are called {label!r}; give one of them a name")
        if self.backend == "otlp" and not self.otlp.endpoint:
            raise ValueError("backend 'otlp' needs otlp.endpoint, e.g. --set otlp.endpoint=https://api.vendor.io")
        return self

    @property
    def loopback(self) -> bool:
        return ipaddress.ip_address(self.bind_address).is_loopback
