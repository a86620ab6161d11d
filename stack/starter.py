"""The commented ``llmobs.yaml`` that ``llmobs init`` writes, generated from the settings model.

Generating it (rather than keeping a hand-written copy) means a new setting or
a changed default shows up in the starter file without anyone remembering to.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from llmobs.settings import Settings

HEADER = """\
# llmobs settings. Every key is optional and shown commented out at its default:
# uncomment the ones you change (a key you leave out follows llmobs' defaults on upgrade).
# Precedence: defaults < this file < LLMOBS_* environment variables (LLMOBS_PORTS__GRAFANA=3001)
# < --set on the command line (--set ports.grafana=3001). `llmobs config show` prints the result.
"""

EXAMPLES = {
    "pii.patterns": [
        "- name: EMPLOYEE_ID        # masked as [EMPLOYEE_ID]",
        "  regex: 'EMP-[0-9]{6}'    # RE2 syntax (no look-arounds)",
    ],
    "prices": [
        "- provider: openai         # USD per million tokens; wins over genai-prices",
        "  model: my-finetune",
        "  match: equals            # or starts_with",
        "  input: 3.0",
        "  output: 12.0",
        "  cache_read: 0.3",
    ],
    "otlp.headers": ["authorization: 'Bearer ${env:OTLP_TOKEN}'   # values reference env vars only"],
    "alerting.receivers": [
        "- name: team               # webhook, slack, email or pagerduty",
        "  type: slack",
        "  url: '${env:SLACK_WEBHOOK_URL}'   # secrets reference env vars only",
        "  channel: '#llm-alerts'",
        "- name: oncall",
        "  type: pagerduty",
        "  routing_key: '${env:PAGERDUTY_ROUTING_KEY}'",
    ],
    "alerting.routes": ["- receiver: oncall           # else the default receiver", "  severity: [critical]"],
    "budgets": [
        "- service: chat            # and/or environment, provider, model; none: everything",
        "  daily_usd: 20",
        "  monthly_usd: 400",
    ],
}


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    return (
        json.dumps(value)
        if isinstance(value, str | list | dict)
        else str(value).lower()
        if isinstance(value, bool)
        else str(value)
    )


def _lines(model: BaseModel, indent: int, prefix: str) -> list[str]:
    out: list[str] = []
    pad = "# " + "  " * indent
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        dotted = f"{prefix}{name}"
        comment = f"  # {info.description}" if info.description else ""
        if isinstance(value, BaseModel):
            out.append(f"{pad}{name}:{comment}")
            out.extend(_lines(value, indent + 1, dotted + "."))
        elif dotted in EXAMPLES and not value:
            out.append(f"{pad}{name}: {_scalar(value)}{comment}  (for example:)")
            out.extend(f"{pad}# {line}" for line in EXAMPLES[dotted])
        else:
            out.append(f"{pad}{name}: {_scalar(value)}{comment}")
    return out


def starter_yaml() -> str:
    return HEADER + "\n".join(_lines(Settings(), 0, "")) + "\n"
