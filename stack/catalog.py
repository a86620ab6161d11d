"""Fixed facts about the services llmobs runs: names, container ports, paths.

Settings hold what a user may change (published host ports, images, ...);
this module holds what the images themselves decide (the port a process
listens on inside its container, where it keeps data). Templates, the stack
runner and the tests read both from here so a number is never typed twice.
"""

from __future__ import annotations

# Compose service names (also the hostnames on the compose network).
COLLECTOR = "collector"
PROMETHEUS = "prometheus"
TEMPO = "tempo"
LOKI = "loki"
GRAFANA = "grafana"
ALERTMANAGER = "alertmanager"
# The load-balancing gateway in front of the llmobs collectors when collector.replicas > 1
# (collector/gateway.yaml.j2); it then publishes the OTLP ports and the collectors publish none.
GATEWAY = "gateway"
GATEWAY_CONFIG = "gateway.yaml"

# Ports the processes listen on inside their containers.
OTLP_GRPC_PORT = 4317
OTLP_HTTP_PORT = 4318
COLLECTOR_HEALTH_PORT = 13133
COLLECTOR_TELEMETRY_PORT = 8888
COLLECTOR_PROMETHEUS_PORT = 8889
PROMETHEUS_PORT = 9090
TEMPO_HTTP_PORT = 3200
LOKI_PORT = 3100
GRAFANA_PORT = 3000
ALERTMANAGER_PORT = 9093

# Alertmanager (prom/alertmanager layout): its config and data, and where compose puts the receivers'
# secrets (from environment variables) inside its container.
ALERTMANAGER_CONFIG = "/etc/alertmanager/alertmanager.yml"
ALERTMANAGER_DATA = "/alertmanager"
SECRETS_DIR = "/run/secrets"
# The receiver that notifies nobody: the route's default when llmobs.yaml configures no receiver.
NO_RECEIVER = "nobody"

# Where Grafana reads provisioned dashboards inside its container.
GRAFANA_DASHBOARDS = "/var/lib/grafana/dashboards"
HOME_DASHBOARD = "llm-overview.json"

# Where the collector keeps its persistent queue inside its container.
COLLECTOR_STORAGE_DIR = "/var/lib/otelcol"
# Where the llmobs collector image reads its config and price table (collector/Dockerfile).
COLLECTOR_CONFIG_DIR = "/etc/otelcol-llmobs"
PRICES_FILE = "prices.json"

# Grafana datasource UIDs: fixed so dashboards and cross-links can name them.
DS_PROMETHEUS = "prometheus"
DS_TEMPO = "tempo"
DS_LOKI = "loki"
DS_ALERTMANAGER = "alertmanager"

BACKENDS = ("grafana", "datadog", "otlp")

# `llmobs demo` defaults (the CLI's options and the demo module share them).
DEMO_RATE = 12.0  # traces started per second
DEMO_DURATION_S = 60.0  # when neither --count nor --duration is given
