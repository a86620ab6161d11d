"""The rendered collector, run for real, normalises and enriches what apps send."""

from __future__ import annotations

from pathlib import Path

from tests.support import otlp
from tests.support.bundle import collector_config
from tests.support.collector import spans, through_llmobs, wait_for


def test_legacy_attributes_are_normalised_and_resources_enriched(otelcol: Path, tmp_path: Path) -> None:
    config = collector_config(tmp_path, "environment=staging")
    with through_llmobs(otelcol, config, tmp_path, {"BUILD_VERSION": "1.2.3"}) as (col, received):
        legacy = otlp.span(
            "chat gpt-4o",
            {
                "gen_ai.system": "openai",
                "gen_ai.operation.name": "chat",
                "gen_ai.request.model": "gpt-4o",
                "gen_ai.usage.prompt_tokens": 1200,
                "gen_ai.usage.completion_tokens": 300,
            },
        )
        openinference = otlp.span(
            "ChatCompletion",
            {
                "openinference.span.kind": "LLM",
                "llm.provider": "anthropic",
                "llm.model_name": "claude-sonnet-4-5",
                "llm.token_count.prompt": 800,
                "llm.token_count.completion": 90,
                "llm.token_count.prompt_details.cache_read": 500,
            },
        )
        already = otlp.span(
            "chat mistral-large-latest",
            {"gen_ai.provider.name": "mistral_ai", "gen_ai.system": "openai", "gen_ai.usage.input_tokens": 5},
        )
        otlp.post(col.http, "traces", otlp.traces({"service.name": "app"}, [legacy, openinference]))
        otlp.post(
            col.http,
            "traces",
            otlp.traces(
                {"service.name": "other", "service.version": "9.9", "deployment.environment.name": "prod"}, [already]
            ),
        )
        got = wait_for(lambda: len(spans(received)) >= 3 and spans(received))

    by_name = {s["name"]: s for s in got}
    a = by_name["chat gpt-4o"]["attributes"]
    assert a["gen_ai.provider.name"] == "openai"
    assert a["gen_ai.usage.input_tokens"] == 1200 and a["gen_ai.usage.output_tokens"] == 300
    assert by_name["chat gpt-4o"]["types"]["gen_ai.usage.input_tokens"] == "intValue"
    b = by_name["ChatCompletion"]["attributes"]
    assert b["gen_ai.provider.name"] == "anthropic"
    assert b["gen_ai.request.model"] == "claude-sonnet-4-5"
    assert b["gen_ai.operation.name"] == "chat"
    assert (b["gen_ai.usage.input_tokens"], b["gen_ai.usage.output_tokens"]) == (800, 90)
    assert b["gen_ai.usage.cache_read.input_tokens"] == 500
    # What the app sent is never overwritten.
    c = by_name["chat mistral-large-latest"]
    assert c["attributes"]["gen_ai.provider.name"] == "mistral_ai"
    assert c["resource"]["service.version"] == "9.9"
    assert c["resource"]["deployment.environment.name"] == "prod"
    # What it did not send is filled in from settings and BUILD_VERSION.
    assert by_name["chat gpt-4o"]["resource"]["deployment.environment.name"] == "staging"
    assert by_name["chat gpt-4o"]["resource"]["service.version"] == "1.2.3"
