"""Enrichment rules (OTTL, resource context) for the collector's ``transform/enrich``.

Normalisation of older and non-OTel GenAI names is done by the llmobs processor
(collector/processor/llmobsprocessor/normalize.go); what stays here is standard
config: resource attributes the app did not set, never overwriting what it sent.
"""

from __future__ import annotations


def ottl_str(value: str) -> str:
    """An OTTL string literal."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def enrich(environment: str) -> list[str]:
    """Resource attributes the app did not set: environment from settings, version from BUILD_VERSION."""
    res = "resource.attributes"
    return [
        f'set({res}["deployment.environment.name"], {ottl_str(environment)})'
        f' where {res}["deployment.environment.name"] == nil',
        f'set({res}["service.version"], "${{env:BUILD_VERSION:-}}")'
        f' where {res}["service.version"] == nil and "${{env:BUILD_VERSION:-}}" != ""',
    ]
