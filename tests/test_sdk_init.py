"""``llmobs.init()`` in a fresh process (it sets OpenTelemetry's global providers), read back at an OTLP receiver.

The receiver (tests/support/recorder.py) decodes what the real OTLP/HTTP exporters send, with the
request headers, so precedence (arguments > ``OTEL_*`` > defaults), batching and the instrumentations
that were switched on are checked on the wire, not on our own objects.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from tests.support.collector import read_jsonl, spans
from tests.support.recorder import Recorder, recorder

ROOT = Path(__file__).resolve().parents[1]

CHILD = """
import json, sys
sys.path.insert(0, {examples!r})
import llmobs, openai, openai_stub

handle = llmobs.init({init_args})
stub = openai_stub.serve()
client = openai.OpenAI(base_url=f"http://127.0.0.1:{{stub.server_port}}/v1", api_key="k", max_retries=0)

@llmobs.agent("trip-planner")
def run(i):
    client.chat.completions.create(model="gpt-4o-mini", messages=[{{"role": "user", "content": f"ping {{i}}"}}])
    with llmobs.tool("search"):
        pass

for i in range({calls}):
    run(i)
print(json.dumps({{"instrumentations": handle.instrumentations, "service": handle.service_name,
                  "capture": handle.capture_content}}))
handle.shutdown()
"""


def _child(rec: Recorder, init_args: str = "", env: dict[str, str] | None = None, calls: int = 1) -> dict[str, Any]:
    code = CHILD.format(examples=str(ROOT / "examples"), init_args=init_args, calls=calls)
    base = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "LLMOBS_"))}
    base.setdefault("OTEL_EXPORTER_OTLP_ENDPOINT", rec.url)
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=base | (env or {}),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def _resource(rec: Recorder) -> dict[str, Any]:
    return spans(rec.out)[0]["resource"]


def test_env_endpoint_service_name_and_headers_are_honoured(tmp_path: Path) -> None:
    with recorder(tmp_path / "rec") as rec:
        env = {
            "OTEL_SERVICE_NAME": "from-env",
            "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment.name=staging,team=search",
            "OTEL_EXPORTER_OTLP_HEADERS": "x-tenant=acme",
        }
        info = _child(rec, env=env)
        resource = _resource(rec)
        headers = rec.headers("traces")

    assert info["service"] == "from-env" and resource["service.name"] == "from-env"
    assert resource["deployment.environment.name"] == "staging" and resource["team"] == "search"
    assert resource["telemetry.distro.name"] == "llmobs"
    assert headers and all(h.get("x-tenant") == "acme" for h in headers)


def test_arguments_win_over_env(tmp_path: Path) -> None:
    with recorder(tmp_path / "wrong") as wrong, recorder(tmp_path / "right") as right:
        env = {
            "OTEL_SERVICE_NAME": "from-env",
            "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment.name=staging",
            "OTEL_EXPORTER_OTLP_ENDPOINT": wrong.url,
        }
        _child(right, f"service_name='from-arg', environment='prod', endpoint={right.url!r}", env=env)
        assert not wrong.requests
        resource = _resource(right)
    assert resource["service.name"] == "from-arg"
    assert resource["deployment.environment.name"] == "prod"


def test_default_service_name_is_not_unknown_service(tmp_path: Path) -> None:
    script = tmp_path / "booking_bot.py"
    script.write_text("import llmobs\nh = llmobs.init()\nwith llmobs.agent('a'):\n    pass\nh.shutdown()\n")
    with recorder(tmp_path / "rec") as rec:
        env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
        env["OTEL_EXPORTER_OTLP_ENDPOINT"] = rec.url
        subprocess.run([sys.executable, str(script)], env=env, check=True, timeout=60, capture_output=True)
        assert _resource(rec)["service.name"] == "booking_bot"


def test_official_openai_instrumentation_is_enabled_and_nests_under_the_agent(tmp_path: Path) -> None:
    with recorder(tmp_path / "rec") as rec:
        info = _child(rec, "service_name='travel-agent'")
        got = spans(rec.out)

    assert "openai" in info["instrumentations"]
    by_name = {s["name"]: s for s in got}
    assert set(by_name) == {"invoke_agent trip-planner", "chat gpt-4o-mini", "execute_tool search"}
    agent, chat = by_name["invoke_agent trip-planner"], by_name["chat gpt-4o-mini"]
    assert chat["parent"] == agent["span_id"] and chat["trace_id"] == agent["trace_id"]
    a = chat["attributes"]
    assert a["gen_ai.provider.name"] == "openai" and "gen_ai.system" not in a  # the current conventions
    assert a["gen_ai.usage.input_tokens"] > 0 and a["gen_ai.response.model"].startswith("gpt-4o-mini")
    assert "gen_ai.input.messages" not in a  # content is opt-in


def test_content_capture_argument_beats_the_env_switch(tmp_path: Path) -> None:
    switch = {"OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "SPAN_ONLY"}
    with recorder(tmp_path / "env") as rec:
        assert _child(rec, env=switch)["capture"] is True
        env_on = next(s for s in spans(rec.out) if s["name"].startswith("chat"))["attributes"]
    with recorder(tmp_path / "arg") as rec:
        assert _child(rec, "capture_content=False", env=switch)["capture"] is False
        arg_off = next(s for s in spans(rec.out) if s["name"].startswith("chat"))["attributes"]
    with recorder(tmp_path / "on") as rec:
        _child(rec, "capture_content=True")
        arg_on = next(s for s in spans(rec.out) if s["name"].startswith("chat"))["attributes"]
    assert "ping 0" in env_on["gen_ai.input.messages"]
    assert "gen_ai.input.messages" not in arg_off
    assert "ping 0" in arg_on["gen_ai.input.messages"]


def test_exports_are_batched_not_one_request_per_call(tmp_path: Path) -> None:
    calls = 60
    with recorder(tmp_path / "rec") as rec:
        _child(rec, calls=calls)
        trace_requests = len(rec.headers("traces"))
        metric_requests = len(rec.headers("metrics"))
        got = spans(rec.out)
    assert len(got) == 3 * calls  # nothing lost
    assert trace_requests <= 3, f"{trace_requests} trace exports for {calls} agent runs"
    assert 1 <= metric_requests <= 3
    metric_names = {
        m["name"]
        for batch in read_jsonl(rec.out / "metrics.jsonl")
        for rm in batch["resourceMetrics"]
        for sm in rm["scopeMetrics"]
        for m in sm["metrics"]
    }
    assert {"gen_ai.client.operation.duration", "gen_ai.client.token.usage"} <= metric_names
    assert {"gen_ai.invoke_agent.duration", "gen_ai.execute_tool.duration"} <= metric_names
    assert '"exemplars"' not in (rec.out / "metrics.jsonl").read_text()  # off unless OTEL_METRICS_EXEMPLAR_FILTER


def test_exemplars_follow_the_env_switch(tmp_path: Path) -> None:
    with recorder(tmp_path / "rec") as rec:
        _child(rec, env={"OTEL_METRICS_EXEMPLAR_FILTER": "always_on"})
        assert '"exemplars"' in (rec.out / "metrics.jsonl").read_text()
