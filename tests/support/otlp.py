"""Build and send OTLP/HTTP JSON payloads by hand.

The OpenTelemetry Python SDK cannot put structured (map/list) values on span
attributes, but other SDKs and the conventions' events do, so the tests that
need exact control over value types post OTLP JSON directly.
"""

from __future__ import annotations

import os
import time
from typing import Any

import requests


def any_value(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    if isinstance(value, float):
        return {"doubleValue": value}
    if isinstance(value, str):
        return {"stringValue": value}
    if isinstance(value, dict):
        return {"kvlistValue": {"values": kv_list(value)}}
    if isinstance(value, list | tuple):
        return {"arrayValue": {"values": [any_value(v) for v in value]}}
    raise TypeError(f"unsupported attribute value {value!r}")


def kv_list(attrs: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"key": k, "value": any_value(v)} for k, v in attrs.items()]


def new_id(nbytes: int) -> str:
    return os.urandom(nbytes).hex()


def span(
    name: str,
    attributes: dict[str, Any],
    *,
    trace_id: str | None = None,
    events: list[dict[str, Any]] | None = None,
    duration_s: float = 1.0,
    error: bool = False,
) -> dict[str, Any]:
    end = time.time_ns()
    start = end - int(duration_s * 1e9)
    return {
        "traceId": trace_id or new_id(16),
        "spanId": new_id(8),
        "name": name,
        "kind": 3,
        "startTimeUnixNano": str(start),
        "endTimeUnixNano": str(end),
        "attributes": kv_list(attributes),
        "events": [
            {"timeUnixNano": str(end), "name": e["name"], "attributes": kv_list(e.get("attributes", {}))}
            for e in events or []
        ],
        "status": {"code": 2} if error else {},
    }


def traces(resource: dict[str, Any], spans: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "resourceSpans": [
            {
                "resource": {"attributes": kv_list(resource)},
                "scopeSpans": [{"scope": {"name": "llmobs.tests"}, "spans": spans}],
            }
        ]
    }


def log_record(body: Any, attributes: dict[str, Any] | None = None, event_name: str | None = None) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "timeUnixNano": str(time.time_ns()),
        "severityNumber": 9,
        "body": any_value(body),
        "attributes": kv_list(attributes or {}),
    }
    if event_name:
        rec["eventName"] = event_name
    return rec


def logs(resource: dict[str, Any], records: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "resourceLogs": [
            {
                "resource": {"attributes": kv_list(resource)},
                "scopeLogs": [{"scope": {"name": "llmobs.tests"}, "logRecords": records}],
            }
        ]
    }


def post(http_endpoint: str, signal: str, payload: dict[str, Any]) -> None:
    response = requests.post(f"{http_endpoint}/v1/{signal}", json=payload, timeout=10)
    response.raise_for_status()
