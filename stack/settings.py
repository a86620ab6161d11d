"""The settings model: every knob llmobs has, with a default for each.

A newcomer should find a setting here, its rendered use in a template under
the component folder, and its run-time use in ``llmobs.stack``. The model is
strict (unknown keys are errors) because a typo in ``llmobs.yaml`` that is
silently ignored is worse than no config file at all.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from llmobs import catalog, versions

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
    """A user-defined pattern, masked with ``[<NAME>]``; must be valid RE2."""

    name: str = Field(pattern=r"^[A-Z][A-Z0-9_]*$")
    regex: str


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


class PriceOverride(_Model):
    """A price (USD per million tokens) that wins over genai-prices for one model."""

    provider: str
    model: str
    match: Literal["equals", "starts_with"] = "equals"
    input: float = Field(ge=0)
    output: float = Field(ge=0)
    cache_read: float | None = Field(None, ge=0)
    cache_write: float | None = Field(None, ge=0)


class Alerts(_Model):
    """Thresholds of the Prometheus alert rules."""

    error_ratio: float = Field(0.05, gt=0, le=1, description="share of failed LLM calls")
    p95_latency_seconds: float = Field(20.0, gt=0)
    cost_per_hour_usd: float = Field(5.0, gt=0, description="spend per hour above which to alert")
    rate_limited_per_minute: float = Field(5.0, gt=0, description="429 responses per minute")


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
    prices: list[PriceOverride] = []
    limits: Limits = Limits()
    alerts: Alerts = Alerts()
    datadog: Datadog = Datadog()
    otlp: Otlp = Otlp()
    collector: Collector = Collector()
    grafana: Grafana = Grafana()

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
        if self.backend == "otlp" and not self.otlp.endpoint:
            raise ValueError("backend 'otlp' needs otlp.endpoint, e.g. --set otlp.endpoint=https://api.vendor.io")
        return self

    @property
    def loopback(self) -> bool:
        return ipaddress.ip_address(self.bind_address).is_loopback
