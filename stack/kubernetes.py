"""``llmobs render --target kubernetes``: values files for the upstream Helm charts, no charts of our own.

The pipeline is carried over, not rewritten: the collector configs, price table, dashboards,
datasources, alert rules and the Tempo/Loki limits are the files the compose bundle renders
(:func:`llmobs.render.render`), embedded in values files or in the few ConfigMaps and the one
Service llmobs writes itself (``kubernetes/objects.yaml``). What is Kubernetes-specific is here:
release names (fixed, so services can name each other), object storage, secrets as references.

Layout of the bundle (README "Kubernetes"):
  kubernetes/objects.yaml            ConfigMaps (collector configs, prices, dashboards), headless Service
  kubernetes/values/<release>.yaml   one per ``helm install``, in install order (INSTALL)
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from llmobs import catalog, services
from llmobs.errors import LlmobsError
from llmobs.render import gateway_config, gateway_dns_resolver, go_duration
from llmobs.render import render as render_compose
from llmobs.services import COLLECTOR_CONFIG, DASHBOARDS_DIR, GATEWAY_CONFIG, PRICES, RULES_FILE
from llmobs.settings import Settings

OBJECTS = "kubernetes/objects.yaml"
VALUES_DIR = "kubernetes/values"

# Release names are fixed (fullnameOverride), so the services below are known when rendering.
GATEWAY = "llmobs-gateway"
COLLECTORS = "llmobs-collector"
TEMPO = "tempo"
LOKI = "loki"
PROMETHEUS = "prometheus"
GRAFANA = "grafana"
HEADLESS = f"{COLLECTORS}-headless"  # every collector pod's address: the gateway's DNS resolver
# release -> (chart, the chart version the values were written for); the README installs them in this order.
INSTALL: dict[str, tuple[str, str]] = {
    PROMETHEUS: ("prometheus-community/kube-prometheus-stack", ""),
    TEMPO: ("grafana-community/tempo-distributed", "3.3.0"),
    LOKI: ("grafana-community/loki", "18.11.0"),
    GRAFANA: ("grafana-community/grafana", "12.11.1"),
    COLLECTORS: ("open-telemetry/opentelemetry-collector", "0.170.0"),
    GATEWAY: ("open-telemetry/opentelemetry-collector", "0.170.0"),
}
COLLECTOR_CONFIG_MAP = f"{COLLECTORS}-config"
GATEWAY_CONFIG_MAP = f"{GATEWAY}-config"
PRICES_CONFIG_MAP = "llmobs-prices"
DASHBOARD_LABEL = "grafana_dashboard"  # what the grafana chart's dashboard sidecar watches
DATADOG_SECRET = "llmobs-datadog"  # key: api-key
OTLP_SECRET = "llmobs-otlp"  # one key per environment variable the otlp headers reference
GRAFANA_ADMIN_SECRET = "llmobs-grafana-admin"  # keys: admin-user, admin-password
QUEUE_VOLUME = "queue"
PROM_EXPORTER_PORT_NAME = "promexporter"


def _runs(settings: Settings, *names: str) -> bool:
    """Whether the backend runs all of these services (the services table decides, as for compose)."""
    return set(names) <= set(services.backend(settings).services)


def check(settings: Settings) -> None:
    """Settings the Kubernetes target needs and compose does not: one line each, exit 2.

    The line names the key, not a file: a missing value is at its default, so no source holds it.
    """
    storage = settings.kubernetes.storage
    if not _runs(settings, catalog.TEMPO, catalog.LOKI):
        return
    for key in ("traces_bucket", "logs_bucket"):
        if not getattr(storage, key):
            raise LlmobsError(
                "the Kubernetes target needs object storage for Tempo and Loki",
                key=f"kubernetes.storage.{key}",
                fix=f"set it, e.g. --set kubernetes.storage.{key}=my-llmobs-{key.split('_')[0]}",
            )
    if storage.type == "azure" and not storage.account:
        raise LlmobsError(
            "azure storage needs the storage account name",
            key="kubernetes.storage.account",
            fix="set it, e.g. --set kubernetes.storage.account=mystorageaccount",
        )
    if storage.type == "s3" and not (storage.region or storage.endpoint):
        raise LlmobsError(
            "s3 storage needs the bucket's region (or an endpoint for an S3-compatible store)",
            key="kubernetes.storage.region",
            fix="set it, e.g. --set kubernetes.storage.region=eu-west-1",
        )


def render(settings: Settings, compose: dict[str, bytes] | None = None) -> dict[str, bytes]:
    """The Kubernetes bundle from the compose bundle of the same settings (deterministic); ``compose`` is
    rendered here unless the caller has it already."""
    check(settings)
    if compose is None:
        compose = render_compose(settings)
    values: dict[str, dict[str, Any]] = {
        GATEWAY: _gateway(settings),
        COLLECTORS: _collectors(settings),
    }
    if _runs(settings, catalog.PROMETHEUS, catalog.TEMPO, catalog.LOKI, catalog.GRAFANA):
        values[PROMETHEUS] = _prometheus(settings, compose)
        values[TEMPO] = _tempo(settings, compose)
        values[LOKI] = _loki(settings, compose)
        values[GRAFANA] = _grafana(settings, compose)
    out = {f"{VALUES_DIR}/{name}.yaml": _dump(body, _header(name)) for name, body in sorted(values.items())}
    objects = _objects(settings, compose)
    out[OBJECTS] = (
        _header_text("objects llmobs writes itself: kubectl apply -n <namespace> -f kubernetes/objects.yaml")
        + "---\n".join(yaml.safe_dump(o, sort_keys=False, allow_unicode=True, width=1000) for o in objects)
    ).encode()
    return out


def _header(release: str) -> str:
    chart, version = INSTALL[release]
    pinned = f" --version {version}" if version else ""
    return _header_text(f"values for `helm install {release} {chart}{pinned} -f kubernetes/values/{release}.yaml`")


def _header_text(what: str) -> str:
    return (
        f"# Rendered by llmobs: {what}\n"
        "# Do not edit: change llmobs.yaml (or --set) and run `llmobs render --target kubernetes` again.\n"
    )


def _dump(body: dict[str, Any], header: str) -> bytes:
    return (header + yaml.safe_dump(body, sort_keys=False, allow_unicode=True, width=1000)).encode()


def _otlp_grpc_port() -> dict[str, Any]:
    """The chart's `ports.otlp` entry (a fresh dict: each values file is dumped on its own)."""
    return {
        "enabled": True,
        "containerPort": catalog.OTLP_GRPC_PORT,
        "servicePort": catalog.OTLP_GRPC_PORT,
        "protocol": "TCP",
        "appProtocol": "grpc",
    }


def _env(name: str, value: str) -> dict[str, Any]:
    return {"name": name, "value": value}


def _secret_env(name: str, secret: str, key: str) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}


def _collector_chart_common(settings: Settings, config_map: str) -> dict[str, Any]:
    """What both collector tiers share: our image (stock components + the llmobs processor)."""
    repository, _, tag = settings.images.collector.rpartition(":")
    ports: dict[str, Any] = {
        name: {"enabled": False} for name in ("jaeger-compact", "jaeger-thrift", "jaeger-grpc", "zipkin")
    }
    ports["metrics"] = {
        "enabled": True,
        "containerPort": catalog.COLLECTOR_TELEMETRY_PORT,
        "servicePort": catalog.COLLECTOR_TELEMETRY_PORT,
        "protocol": "TCP",
    }
    return {
        "image": {"repository": repository, "tag": tag, "pullPolicy": "IfNotPresent"},
        "command": {"name": "otelcol-llmobs"},
        # The config is ours, verbatim (a ConfigMap in objects.yaml), not merged into the chart's default.
        "configMap": {"create": False, "existingName": config_map},
        "useGOMEMLIMIT": True,
        "resources": {
            "requests": {"cpu": "250m", "memory": f"{settings.collector.memory_limit_mib // 2}Mi"},
            "limits": {"memory": f"{settings.collector.memory_limit_mib}Mi"},
        },
        "podSecurityContext": {"fsGroup": 10001},  # the image runs as 10001; the queue volume must be writable
        "ports": ports,
    }


def _gateway(settings: Settings) -> dict[str, Any]:
    values = {
        "fullnameOverride": GATEWAY,
        "mode": "deployment",
        **_collector_chart_common(settings, GATEWAY_CONFIG_MAP),
    }
    values.update(
        {
            "replicaCount": 2,
            # Stateless routing: scales on CPU. Its queue is on an emptyDir (kept across container
            # restarts, not pod deletion); the collectors behind it queue on volumes.
            "autoscaling": {
                "enabled": True,
                "minReplicas": 2,
                "maxReplicas": max(2, settings.kubernetes.gateway_max_replicas),
                "targetCPUUtilizationPercentage": 70,
            },
            "podDisruptionBudget": {"enabled": True, "minAvailable": 1},
            "extraEnvs": [
                _env(
                    "LLMOBS_GATEWAY_RESOLVER", gateway_dns_resolver(f"{HEADLESS}.{settings.kubernetes.namespace}.svc")
                ),
                _env("LLMOBS_COLLECTOR_STORAGE", catalog.COLLECTOR_STORAGE_DIR),
            ],
            "extraVolumes": [{"name": QUEUE_VOLUME, "emptyDir": {}}],
            "extraVolumeMounts": [{"name": QUEUE_VOLUME, "mountPath": catalog.COLLECTOR_STORAGE_DIR}],
        }
    )
    values["ports"] |= {
        "otlp": _otlp_grpc_port(),
        "otlp-http": {
            "enabled": True,
            "containerPort": catalog.OTLP_HTTP_PORT,
            "servicePort": catalog.OTLP_HTTP_PORT,
            "protocol": "TCP",
        },
    }
    return values


def _collectors(settings: Settings) -> dict[str, Any]:
    """The llmobs tier: a StatefulSet, so each pod keeps its persistent queue on its own volume."""
    k8s = settings.kubernetes
    claim: dict[str, Any] = {
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": f"{k8s.queue_volume_gib}Gi"}},
    }
    if k8s.storage_class:
        claim["storageClassName"] = k8s.storage_class
    env = [
        _env("LLMOBS_COLLECTOR_STORAGE", catalog.COLLECTOR_STORAGE_DIR),
        _env("LLMOBS_PRICES_FILE", f"{catalog.COLLECTOR_CONFIG_DIR}/{catalog.PRICES_FILE}"),
    ]
    if _runs(settings, catalog.TEMPO, catalog.LOKI):
        env += [
            _env("LLMOBS_TEMPO_ENDPOINT", f"{TEMPO}-distributor:{catalog.OTLP_GRPC_PORT}"),
            _env("LLMOBS_LOKI_ENDPOINT", f"http://{LOKI}-gateway/otlp"),
        ]
    elif settings.backend == "datadog":
        env.append(_secret_env("DD_API_KEY", DATADOG_SECRET, "api-key"))
    else:
        env += [_secret_env(var, OTLP_SECRET, var) for var in settings.otlp.env_vars()]
    values = {
        "fullnameOverride": COLLECTORS,
        "mode": "statefulset",
        **_collector_chart_common(settings, COLLECTOR_CONFIG_MAP),
    }
    values.update(
        {
            "replicaCount": settings.collector.replicas,
            "statefulset": {
                "podManagementPolicy": "Parallel",
                "volumeClaimTemplates": [{"metadata": {"name": QUEUE_VOLUME}, "spec": claim}],
                # Scaled down or deleted, a pod's queue volume stays: scaled up again, it drains.
                "persistentVolumeClaimRetentionPolicy": {
                    "enabled": True,
                    "whenDeleted": "Retain",
                    "whenScaled": "Retain",
                },
            },
            "podDisruptionBudget": {"enabled": True, "maxUnavailable": 1},
            "extraEnvs": env,
            "extraVolumes": [{"name": "prices", "configMap": {"name": PRICES_CONFIG_MAP}}],
            "extraVolumeMounts": [
                {"name": QUEUE_VOLUME, "mountPath": catalog.COLLECTOR_STORAGE_DIR},
                {"name": "prices", "mountPath": catalog.COLLECTOR_CONFIG_DIR, "readOnly": True},
            ],
        }
    )
    values["ports"] |= {
        "otlp": _otlp_grpc_port(),
        "otlp-http": {"enabled": False},
    }
    if _runs(settings, catalog.PROMETHEUS):
        values["ports"][PROM_EXPORTER_PORT_NAME] = {
            "enabled": True,
            "containerPort": catalog.COLLECTOR_PROMETHEUS_PORT,
            "servicePort": catalog.COLLECTOR_PROMETHEUS_PORT,
            "protocol": "TCP",
        }
    endpoints: list[dict[str, Any]] = [{"port": "metrics"}]
    if _runs(settings, catalog.PROMETHEUS):
        # honorLabels: job/instance come from each app's service.name (as the compose scrape config);
        # the pod label keeps two collectors' counters apart if a service moves between them.
        endpoints.append({"port": PROM_EXPORTER_PORT_NAME, "honorLabels": True})
    values["serviceMonitor"] = {"enabled": True, "metricsEndpoints": endpoints}
    return values


def _prometheus(settings: Settings, compose: dict[str, bytes]) -> dict[str, Any]:
    rules = yaml.safe_load(compose[RULES_FILE])
    return {
        "fullnameOverride": PROMETHEUS,
        "grafana": {"enabled": False},  # the grafana chart below, with llmobs' datasources and dashboards
        "prometheus": {
            "prometheusSpec": {
                "retention": settings.retention.metrics,
                "enableRemoteWriteReceiver": True,  # Tempo's metrics generator writes service graphs
                "enableFeatures": ["exemplar-storage"],
                "serviceMonitorSelectorNilUsesHelmValues": False,  # selects the collectors' ServiceMonitor
                "ruleSelectorNilUsesHelmValues": False,
            }
        },
        "additionalPrometheusRulesMap": {"llmobs": rules},
    }


def _storage_env(settings: Settings) -> list[dict[str, Any]]:
    """Credentials as references to the Secret named by kubernetes.storage.secret (optional: IAM/workload identity)."""
    storage = settings.kubernetes.storage
    keys = {"s3": ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"], "azure": ["AZURE_STORAGE_ACCOUNT_KEY"], "gcs": []}
    return [
        {"name": key, "valueFrom": {"secretKeyRef": {"name": storage.secret, "key": key, "optional": True}}}
        for key in keys[storage.type]
    ]


def _tempo_storage(settings: Settings) -> dict[str, Any]:
    storage = settings.kubernetes.storage
    if storage.type == "s3":
        s3 = {"bucket": storage.traces_bucket, "endpoint": storage.endpoint or f"s3.{storage.region}.amazonaws.com"}
        if storage.region:
            s3["region"] = storage.region
        return {"backend": "s3", "s3": s3}
    if storage.type == "gcs":
        return {"backend": "gcs", "gcs": {"bucket_name": storage.traces_bucket}}
    return {
        "backend": "azure",
        "azure": {
            "container_name": storage.traces_bucket,
            "storage_account_name": storage.account,
            "storage_account_key": "${AZURE_STORAGE_ACCOUNT_KEY}",
        },
    }


def _tempo(settings: Settings, compose: dict[str, bytes]) -> dict[str, Any]:
    local = yaml.safe_load(compose["tempo/tempo.yaml"])
    generator = local["metrics_generator"]
    generator["storage"]["remote_write"] = [
        {"url": f"http://{PROMETHEUS}-prometheus:{catalog.PROMETHEUS_PORT}/api/v1/write", "send_exemplars": True}
    ]
    generator["storage"]["path"] = "/var/tempo/generator/wal"
    partitions = max(2, settings.collector.replicas)
    return {
        "fullnameOverride": TEMPO,
        "global": {"extraEnv": _storage_env(settings), "extraArgs": ["-config.expand-env=true"]},
        "traces": {"otlp": {"grpc": {"enabled": True}, "http": {"enabled": True}}},
        "storage": {"trace": _tempo_storage(settings)},
        # Tempo 3 distributed: distributors write to Kafka, block builders and live stores read it
        # (one of each per partition). Kafka is not part of this chart: kubernetes.kafka_address.
        "blockBuilder": {"replicas": partitions},
        "liveStore": {"replicas": partitions},
        "metricsGenerator": {"enabled": True},
        "tempo": {
            "structuredConfig": {
                "ingest": {"kafka": {"address": settings.kubernetes.kafka_address, "topic": "tempo-ingest"}},
                "server": {k: v for k, v in local["server"].items() if k.startswith("grpc_server_max")},
                "distributor": {"max_attribute_bytes": local["distributor"]["max_attribute_bytes"]},
                "backend_worker": {"compaction": {"block_retention": go_duration(settings.retention.traces)}},
                "query_frontend": local["query_frontend"],
                "metrics_generator": generator,
                "overrides": local["overrides"],
            }
        },
    }


def _loki(settings: Settings, compose: dict[str, bytes]) -> dict[str, Any]:
    local = yaml.safe_load(compose["loki/loki.yaml"])
    storage = settings.kubernetes.storage
    bucket = storage.logs_bucket
    store: dict[str, Any] = {"type": storage.type, "bucketNames": {"chunks": bucket, "ruler": bucket, "admin": bucket}}
    if storage.type == "s3":
        store["s3"] = {
            "region": storage.region or None,
            "endpoint": storage.endpoint or None,
            "s3ForcePathStyle": bool(storage.endpoint),
        }
        store["s3"] = {k: v for k, v in store["s3"].items() if v is not None}
    elif storage.type == "azure":
        store["azure"] = {"accountName": storage.account, "accountKey": "${AZURE_STORAGE_ACCOUNT_KEY}"}
    else:
        store["gcs"] = {"chunkBufferSize": 0}
    components = ("ingester", "distributor", "querier", "queryFrontend", "queryScheduler", "indexGateway")
    distributed = {name: {"replicas": 3 if name == "ingester" else 2} for name in components}
    return {
        "fullnameOverride": LOKI,
        # Distributed needs object storage (and so do ingesters' flushed chunks): no single-binary fallback.
        "deploymentMode": "Distributed",
        "loki": {
            "auth_enabled": False,
            "storage": store,
            "schemaConfig": {
                "configs": [
                    {
                        "from": "2024-04-01",
                        "store": "tsdb",
                        "object_store": storage.type,
                        "schema": "v13",
                        "index": {"prefix": "loki_index_", "period": "24h"},
                    }
                ]
            },
            "limits_config": local["limits_config"],  # the size budget and retention, as compose renders them
            "compactor": {"retention_enabled": True, "delete_request_store": storage.type},
            "analytics": {"reporting_enabled": False},
        },
        **distributed,
        "compactor": {"replicas": 1},
        "gateway": {"enabled": True},
        "singleBinary": {"replicas": 0},
        "backend": {"replicas": 0},
        "read": {"replicas": 0},
        "write": {"replicas": 0},
        "minio": {"enabled": False},
        "global": {"extraEnv": _storage_env(settings), "extraArgs": ["-config.expand-env=true"]},
    }


def _grafana(settings: Settings, compose: dict[str, bytes]) -> dict[str, Any]:
    datasources = yaml.safe_load(compose["grafana/provisioning/datasources/llmobs.yaml"])
    urls = {
        catalog.DS_PROMETHEUS: f"http://{PROMETHEUS}-prometheus:{catalog.PROMETHEUS_PORT}",
        catalog.DS_TEMPO: f"http://{TEMPO}-query-frontend:{catalog.TEMPO_HTTP_PORT}",
        catalog.DS_LOKI: f"http://{LOKI}-gateway",
        catalog.DS_ALERTMANAGER: f"http://{PROMETHEUS}-alertmanager:{catalog.ALERTMANAGER_PORT}",
    }
    for ds in datasources["datasources"]:  # same UIDs and cross-links; only the addresses change
        ds["url"] = urls[ds["uid"]]
    folder = "/tmp/dashboards"
    home = f"{folder}/{catalog.HOME_DASHBOARD}"
    assert f"{DASHBOARDS_DIR}/{catalog.HOME_DASHBOARD}" in compose
    return {
        "fullnameOverride": GRAFANA,
        "admin": {"existingSecret": GRAFANA_ADMIN_SECRET, "userKey": "admin-user", "passwordKey": "admin-password"},
        "persistence": {"enabled": True},
        "datasources": {"datasources.yaml": datasources},
        # Dashboards are ConfigMaps (objects.yaml) labelled for the sidecar, which loads them into Grafana.
        "sidecar": {"dashboards": {"enabled": True, "label": DASHBOARD_LABEL, "labelValue": "1", "folder": folder}},
        "grafana.ini": {
            "analytics": {"reporting_enabled": False, "check_for_updates": False},
            "news": {"news_feed_enabled": False},
            "auth.anonymous": {"enabled": False},
            "dashboards": {"default_home_dashboard_path": home},
        },
    }


def _config_map(name: str, data: dict[str, str], labels: dict[str, str] | None = None) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, "labels": {"app.kubernetes.io/part-of": "llmobs", **(labels or {})}}
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata, "data": data}


def _objects(settings: Settings, compose: dict[str, bytes]) -> list[dict[str, Any]]:
    gateway = compose.get(GATEWAY_CONFIG) or gateway_config(settings)
    objects = [
        # The chart mounts key `relay` as /conf/relay.yaml and runs --config=/conf/relay.yaml.
        _config_map(COLLECTOR_CONFIG_MAP, {"relay": compose[COLLECTOR_CONFIG].decode()}),
        _config_map(GATEWAY_CONFIG_MAP, {"relay": gateway.decode()}),
        _config_map(PRICES_CONFIG_MAP, {catalog.PRICES_FILE: compose[PRICES].decode()}),
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": HEADLESS, "labels": {"app.kubernetes.io/part-of": "llmobs"}},
            "spec": {
                # Headless: DNS answers with every ready collector pod, which is what the gateway's
                # dns resolver balances over (a ClusterIP would hide them behind one address).
                "clusterIP": "None",
                "selector": {"app.kubernetes.io/instance": COLLECTORS, "component": "statefulset-collector"},
                "ports": [
                    {
                        "name": "otlp",
                        "port": catalog.OTLP_GRPC_PORT,
                        "targetPort": catalog.OTLP_GRPC_PORT,
                        "protocol": "TCP",
                        "appProtocol": "grpc",
                    }
                ],
            },
        },
    ]
    if _runs(settings, catalog.GRAFANA):
        for path in sorted(p for p in compose if p.startswith(f"{DASHBOARDS_DIR}/")):
            name = path.rsplit("/", 1)[1]
            json.loads(compose[path])  # a dashboard that does not parse must not reach a cluster
            objects.append(
                _config_map(
                    f"llmobs-dashboard-{name.removesuffix('.json')}",
                    {name: compose[path].decode()},
                    {DASHBOARD_LABEL: "1"},
                )
            )
    return objects
