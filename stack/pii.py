"""PII masking rules for the collector (OTTL for the transform processor).

STUB: filled in by the collector work (issue 3).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from llmobs.settings import Pii


@dataclass(frozen=True)
class PiiRules:
    mode: str
    trace_statements: list[str] = field(default_factory=list)
    log_statements: list[str] = field(default_factory=list)


def rules(pii: Pii) -> PiiRules:
    return PiiRules(mode=pii.mode)
