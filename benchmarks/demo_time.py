"""Wall time of `llmobs demo --count 200`, and whether what it recorded still looks like real LLM traffic.

The demo runs as users run it (the CLI, in its own process) against the real llmobs collector
(default render, from scripts/build-otelcol), which forwards to a sink collector writing files.
Reported: the demo's wall time (target < 30 s for 200 traces) and, from the spans that reached
the sink, the median and p95 duration of the chat spans and the agent runs, and the median time
to first chunk: the point of the demo is that these are seconds, like real calls, not milliseconds.
Last line: `count=<n> wall_s=<s> chat_p50_s=<s> chat_p95_s=<s> agent_p50_s=<s> ttfc_p50_s=<s>`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.bundle import collector_config  # noqa: E402
from tests.support.collector import spans, through_llmobs, wait_for  # noqa: E402
from tests.support.procs import otelcol_binary  # noqa: E402


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--seed", default="benchmark")
    args = parser.parse_args()
    binary = otelcol_binary()
    if binary is None:
        raise SystemExit("needs the collector: run scripts/build-otelcol")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        config = collector_config(tmp / "cfg")
        with through_llmobs(binary, config, tmp) as (col, received):
            env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "LLMOBS_"))}
            cmd = [sys.executable, "-m", "llmobs.cli.app", "demo", "--endpoint", col.http]
            cmd += ["--count", str(args.count), "--seed", args.seed]
            start = time.perf_counter()
            result = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
            wall = time.perf_counter() - start
            if result.returncode != 0:
                raise SystemExit(f"llmobs demo failed:\n{result.stderr}")
            print(result.stdout.strip())
            got = wait_for(lambda: spans(received), timeout=30)
            time.sleep(2)  # the last batches
            got = spans(received)
    chats = [s["duration"] for s in got if s["name"].startswith("chat ") and not s["attributes"].get("error.type")]
    agents = [s["duration"] for s in got if s["name"].startswith("invoke_agent ")]
    ttfc = [s["attributes"]["gen_ai.response.time_to_first_chunk"] for s in got
            if "gen_ai.response.time_to_first_chunk" in s["attributes"]]  # fmt: skip
    print(f"spans={len(got)} chat_spans={len(chats)} agent_runs={len(agents)} streamed={len(ttfc)}")
    print(
        f"count={args.count} wall_s={wall:.1f} chat_p50_s={statistics.median(chats):.2f} "
        f"chat_p95_s={_quantile(chats, 0.95):.2f} agent_p50_s={statistics.median(agents):.2f} "
        f"ttfc_p50_s={statistics.median(ttfc):.2f}"
    )


if __name__ == "__main__":
    main()
