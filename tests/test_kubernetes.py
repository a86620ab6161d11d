"""``llmobs render --target kubernetes``: what can be proven here without a cluster or a chart registry.

- every values file and the objects file parse as YAML;
- every collector config embedded in a ConfigMap passes ``otelcol-llmobs validate`` (the real
  binary), with the environment the values files give the pods and the price table from its ConfigMap;
- the objects llmobs writes itself decode strictly into k8s.io/api types (tests/k8sdecode, Go);
- Grafana gets the compose bundle's datasources (same UIDs, same cross-links) and every dashboard;
- the render is deterministic, written atomically by the same writer, and bad input is one line, exit 2.
The charts themselves are not installed (README "When one machine is not enough").
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from llmobs import catalog, kubernetes
from llmobs.config import load
from llmobs.render import dashboard_names, render
from tests.support.procs import REPO, require

STORAGE = {
    "s3": ["kubernetes.storage.region=eu-west-1"],
    "gcs": ["kubernetes.storage.type=gcs"],
    "azure": ["kubernetes.storage.type=azure", "kubernetes.storage.account=llmobsstore"],
}
BUCKETS = ["kubernetes.storage.traces_bucket=llmobs-traces", "kubernetes.storage.logs_bucket=llmobs-logs"]
RENDERS = {
    **{f"grafana-{kind}": [*BUCKETS, *sets, "collector.replicas=3"] for kind, sets in STORAGE.items()},
    "grafana-one": [*BUCKETS, *STORAGE["s3"]],
    "datadog": ["backend=datadog"],
    "otlp": [
        "backend=otlp",
        "otlp.endpoint=https://vendor.example",
        "otlp.protocol=http",
        "otlp.headers={authorization: 'Bearer ${env:VENDOR_TOKEN}'}",
    ],
}


def _render(tmp: Path, sets: list[str]) -> dict[str, bytes]:
    return kubernetes.render(load(sets=sets, env={}, cwd=tmp).settings)


def _objects(bundle: dict[str, bytes]) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(bundle[kubernetes.OBJECTS]) if doc]


def _values(bundle: dict[str, bytes]) -> dict[str, dict[str, Any]]:
    prefix = f"{kubernetes.VALUES_DIR}/"
    return {p[len(prefix) : -5]: yaml.safe_load(v) for p, v in bundle.items() if p.startswith(prefix)}


@pytest.mark.parametrize("name", sorted(RENDERS))
def test_every_file_parses_and_other_backends_get_only_the_collector_tiers(tmp_path: Path, name: str) -> None:
    bundle = _render(tmp_path, RENDERS[name])
    values = _values(bundle)
    assert all(isinstance(v, dict) and v for v in values.values())
    collectors = {kubernetes.GATEWAY, kubernetes.COLLECTORS}
    if name.startswith("grafana"):
        assert set(values) == set(kubernetes.INSTALL)
    else:
        assert set(values) == collectors
        assert not any(o["metadata"]["labels"].get(kubernetes.DASHBOARD_LABEL) for o in _objects(bundle))
    assert set(bundle) == {kubernetes.OBJECTS, *(f"{kubernetes.VALUES_DIR}/{v}.yaml" for v in values)}


def _env(values: dict[str, Any], prices: Path, tmp: Path) -> dict[str, str]:
    """The pod's LLMOBS_* environment from extraEnvs; Secret references get stand-in values."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LLMOBS_")}
    for item in values["extraEnvs"]:
        env[item["name"]] = item.get("value", "stand-in-for-a-secret")
    env["LLMOBS_PRICES_FILE"] = str(prices)
    env["LLMOBS_COLLECTOR_STORAGE"] = str(tmp / "queue")
    return env


@pytest.mark.collector
@pytest.mark.parametrize("name", sorted(RENDERS))
def test_every_embedded_collector_config_validates_with_the_real_binary(
    otelcol: Path, tmp_path: Path, name: str
) -> None:
    bundle = _render(tmp_path, RENDERS[name])
    values = _values(bundle)
    maps = {o["metadata"]["name"]: o["data"] for o in _objects(bundle) if o["kind"] == "ConfigMap"}
    prices = tmp_path / catalog.PRICES_FILE
    prices.write_text(maps[kubernetes.PRICES_CONFIG_MAP][catalog.PRICES_FILE])
    json.loads(prices.read_text())
    for release, config_map in ((kubernetes.GATEWAY, kubernetes.GATEWAY_CONFIG_MAP),
                                (kubernetes.COLLECTORS, kubernetes.COLLECTOR_CONFIG_MAP)):  # fmt: skip
        assert values[release]["configMap"] == {"create": False, "existingName": config_map}
        config = tmp_path / f"{release}.yaml"
        config.write_text(maps[config_map]["relay"])
        result = subprocess.run(
            [str(otelcol), "validate", f"--config={config}"],
            env=_env(values[release], prices, tmp_path),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, f"{release}: {result.stderr[-2000:]}"


def _decoder(tmp: Path) -> Path | None:
    if not shutil.which("go"):
        return None
    binary = tmp / "k8sdecode"
    # The module proxy fetches k8s.io/api on a cold cache; go.sum (committed) pins every checksum, so the
    # checksum database is never asked (it is not reachable here).
    env = os.environ | {"GOFLAGS": "-mod=readonly", "GONOSUMDB": "*"}
    subprocess.run(
        ["go", "build", "-o", str(binary), "."], cwd=REPO / "tests" / "k8sdecode", env=env, check=True, timeout=600
    )
    return binary


@pytest.mark.parametrize("name", ["grafana-azure", "otlp"])
def test_objects_llmobs_writes_decode_strictly_into_k8s_api_types(tmp_path: Path, name: str) -> None:
    decoder = _decoder(tmp_path)
    require(decoder, "Go (tests/k8sdecode decodes into k8s.io/api types)", "install Go")
    assert decoder is not None
    bundle = _render(tmp_path, RENDERS[name])
    objects = tmp_path / "objects.yaml"
    objects.write_bytes(bundle[kubernetes.OBJECTS])
    result = subprocess.run([str(decoder), str(objects)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("ok ") == len(_objects(bundle))
    # The check itself rejects what the API server would: an unknown field, a bad name.
    broken = bundle[kubernetes.OBJECTS].decode().replace("clusterIP: None", "clusterIP: None\n  clusterIp: None", 1)
    objects.write_text(broken.replace("name: llmobs-prices", "name: llmobs_prices", 1))
    result = subprocess.run([str(decoder), str(objects)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "clusterIp" in result.stdout and "llmobs_prices" in result.stdout


def test_grafana_gets_the_compose_datasources_and_every_dashboard(tmp_path: Path) -> None:
    sets = RENDERS["grafana-s3"]
    compose = render(load(sets=sets, env={}, cwd=tmp_path).settings)
    bundle = _render(tmp_path, sets)
    grafana = _values(bundle)[kubernetes.GRAFANA]
    local = yaml.safe_load(compose["grafana/provisioning/datasources/llmobs.yaml"])["datasources"]
    remote = grafana["datasources"]["datasources.yaml"]["datasources"]
    strip = [{k: v for k, v in ds.items() if k != "url"} for ds in local]
    assert [{k: v for k, v in ds.items() if k != "url"} for ds in remote] == strip
    assert {ds["uid"] for ds in remote} == {
        catalog.DS_PROMETHEUS,
        catalog.DS_TEMPO,
        catalog.DS_LOKI,
        catalog.DS_ALERTMANAGER,
    }
    assert all("svc" not in ds["url"] and ds["url"].startswith("http://") for ds in remote)
    dashboards = {
        next(iter(o["data"])): o["data"]
        for o in _objects(bundle)
        if o["metadata"]["labels"].get(kubernetes.DASHBOARD_LABEL) == "1"
    }
    assert set(dashboards) == set(dashboard_names())
    for name, data in dashboards.items():
        assert data[name].encode() == compose[f"grafana/dashboards/{name}"]
    assert grafana["sidecar"]["dashboards"]["label"] == kubernetes.DASHBOARD_LABEL


def test_storage_retention_and_secrets_come_from_settings(tmp_path: Path) -> None:
    sets = [*RENDERS["grafana-azure"], "retention.traces=3d", "retention.logs=10d", "retention.metrics=45d"]
    values = _values(_render(tmp_path, sets))
    tempo, loki, prom = values[kubernetes.TEMPO], values[kubernetes.LOKI], values[kubernetes.PROMETHEUS]
    assert tempo["storage"]["trace"]["backend"] == "azure"
    assert tempo["storage"]["trace"]["azure"]["container_name"] == "llmobs-traces"
    assert tempo["tempo"]["structuredConfig"]["backend_worker"]["compaction"]["block_retention"] == "72h"
    assert loki["loki"]["storage"]["bucketNames"]["chunks"] == "llmobs-logs"
    assert loki["loki"]["limits_config"]["retention_period"] == "240h"
    assert prom["prometheus"]["prometheusSpec"]["retention"] == "45d"
    text = json.dumps(values)
    # Secrets only as references to Kubernetes Secrets: no credential value anywhere.
    for env in (*tempo["global"]["extraEnv"], *loki["global"]["extraEnv"]):
        assert set(env) == {"name", "valueFrom"} and env["valueFrom"]["secretKeyRef"]["name"] == "llmobs-object-storage"
    assert values[kubernetes.GRAFANA]["admin"]["existingSecret"] == kubernetes.GRAFANA_ADMIN_SECRET
    assert values[kubernetes.GRAFANA]["admin"] == {
        "existingSecret": kubernetes.GRAFANA_ADMIN_SECRET,
        "userKey": "admin-user",
        "passwordKey": "admin-password",
    }
    assert "AKIA" not in text and "accountKey" not in json.dumps(loki["loki"]["storage"]).replace(
        '"accountKey": "${AZURE_STORAGE_ACCOUNT_KEY}"', ""
    )
    collectors = values[kubernetes.COLLECTORS]
    assert collectors["replicaCount"] == 3 and collectors["mode"] == "statefulset"
    claim = collectors["statefulset"]["volumeClaimTemplates"][0]
    assert {"name": claim["metadata"]["name"], "mountPath": catalog.COLLECTOR_STORAGE_DIR} in collectors[
        "extraVolumeMounts"
    ]
    assert collectors["podDisruptionBudget"]["enabled"] and collectors["serviceMonitor"]["enabled"]
    gateway = values[kubernetes.GATEWAY]
    assert gateway["mode"] == "deployment" and gateway["autoscaling"]["enabled"]


def test_datadog_and_otlp_secrets_are_secret_references(tmp_path: Path) -> None:
    for name, var, secret in (("datadog", "DD_API_KEY", kubernetes.DATADOG_SECRET),
                              ("otlp", "VENDOR_TOKEN", kubernetes.OTLP_SECRET)):  # fmt: skip
        env = {
            e["name"]: e for e in _values(_render(tmp_path / name, RENDERS[name]))[kubernetes.COLLECTORS]["extraEnvs"]
        }
        assert env[var]["valueFrom"]["secretKeyRef"]["name"] == secret and "value" not in env[var]


def test_deterministic_and_written_atomically(tmp_path: Path) -> None:
    from llmobs.cli.app import app

    first, second = _render(tmp_path, RENDERS["grafana-gcs"]), _render(tmp_path, RENDERS["grafana-gcs"])
    assert first == second
    runner = CliRunner()
    out = tmp_path / "k8s"
    args = [
        "render",
        "--target",
        "kubernetes",
        "--out",
        str(out),
        *(a for s in RENDERS["grafana-gcs"] for a in ("--set", s)),
    ]
    assert runner.invoke(app, args).exit_code == 0
    assert {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file() and p.name != ".llmobs-bundle"} >= set(first)
    assert runner.invoke(app, [*args, "--check"]).exit_code == 0


@pytest.mark.parametrize(
    ("sets", "says"),
    [
        (["collector.replicas=0"], "collector.replicas"),
        (["kubernetes.storage.type=minio"], "kubernetes.storage.type"),
        (["kubernetes.storage.logs_bucket=llmobs-logs", *STORAGE["s3"]], "kubernetes.storage.traces_bucket"),
        ([*BUCKETS, "kubernetes.storage.type=azure"], "kubernetes.storage.account"),
        (["--target=helm"], "--target"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, sets: list[str], says: str) -> None:
    from llmobs.cli.app import app

    target = next((s.split("=", 1)[1] for s in sets if s.startswith("--target=")), "kubernetes")
    sets = [s for s in sets if not s.startswith("--target=")]
    args = [
        "render",
        "--target",
        target,
        "--out",
        str(tmp_path / "k8s"),
        *(a for s in sets for a in ("--set", s)),
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and says in lines[0], result.output
    assert not (tmp_path / "k8s").exists()
