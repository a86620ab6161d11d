"""Model prices from genai-prices, rendered as the collector's cost rules (OTTL).

STUB: filled in by the collector work (issue 3).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from llmobs.settings import Settings


@dataclass(frozen=True)
class CostRules:
    groups: list[dict[str, Any]] = field(default_factory=list)


def table(settings: Settings) -> CostRules:
    return CostRules()
