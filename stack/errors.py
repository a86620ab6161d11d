"""The one exception type for mistakes a user can fix.

The CLI turns it into a single line and exit code 2, so every message must say
where the problem is (file and key) and how to fix it; tracebacks are for
``--debug`` only.
"""

from __future__ import annotations


class LlmobsError(Exception):
    """A user-facing error: ``<where>: <key>: <problem>; <fix>`` on one line."""

    exit_code = 2

    def __init__(
        self,
        problem: str,
        *,
        where: str | None = None,
        key: str | None = None,
        fix: str | None = None,
    ) -> None:
        self.problem = problem
        self.where = where
        self.key = key
        self.fix = fix
        super().__init__(self.line())

    def line(self) -> str:
        parts = [p for p in (self.where, self.key) if p]
        text = ": ".join([*parts, self.problem])
        if self.fix:
            text += f" (fix: {self.fix})"
        return " ".join(text.split())
