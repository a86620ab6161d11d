"""Pinned versions of everything llmobs runs: the single place to bump them.

The collector version is read from the Collector Builder manifest
(``collector/builder-config.yaml``), because that file must name the version on
every component line and the image we pin must be the same build; keeping the
number there and deriving the image tag here means the two cannot drift.
"""

from __future__ import annotations

import re
from functools import cache
from importlib.resources import files


@cache
def otelcol_version() -> str:
    manifest = files("llmobs.collector").joinpath("builder-config.yaml").read_text("utf-8")
    match = re.search(r"^dist:\n(?:  .*\n)*?  version: *([0-9][0-9.]*)\s*$", manifest, re.M)
    if not match:  # pragma: no cover - guarded by tests/test_collector_manifest.py
        raise RuntimeError("collector/builder-config.yaml has no dist.version")
    return match.group(1)


GRAFANA_IMAGE = "grafana/grafana:13.2.0"
TEMPO_IMAGE = "grafana/tempo:3.0.3"
LOKI_IMAGE = "grafana/loki:3.7.6"
PROMETHEUS_IMAGE = "prom/prometheus:v3.14.0"
# Not rendered yet (issue 13); pinned now so scripts/build-prometheus builds the alertmanager and
# amtool the tests run from the same release. The newest the Go module proxy serves here.
ALERTMANAGER_IMAGE = "prom/alertmanager:v0.35.0"


# The llmobs collector image (collector/Dockerfile: stock components plus our llmobs processor). Its
# tag carries the collector version and llmobs' own: the processor changes with llmobs releases.
COLLECTOR_REPOSITORY = "llmobs/otelcol-llmobs"


def collector_image() -> str:
    from llmobs import __version__

    return f"{COLLECTOR_REPOSITORY}:{otelcol_version()}-{__version__}"
