"""The bundle ``llmobs render`` writes, served from the cache when nothing it is made of changed (issue 16).

A bundle is a pure function of the settings and of installed files (templates, the dashboard builder,
genai-prices, Jinja): :func:`llmobs.render.render` is deterministic and reads no environment. Rendering
it again means importing pydantic and Jinja and building the settings model, about 0.35 s of a 0.7 s
``llmobs render`` on this project's 2-core machine, to write what is already on disk. So the render
command asks here first; a hit costs reading one file.

The entry is keyed like ``config show``'s (:func:`llmobs.config.by_settings`: the settings file's bytes,
``--set``, ``--backend``, the ``LLMOBS_*`` settings, the working directory and every file of the
installed llmobs package) plus the ``.py`` files of the packages rendering uses. Errors are never stored:
a bad setting is refused by :func:`llmobs.config.load` with the same line every time.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

# What rendering imports besides llmobs and the settings model (config.by_settings covers pydantic,
# PyYAML and RE2): an upgrade of any of them gives a new key.
RENDER_PACKAGES = ("jinja2", "markupsafe", "genai_prices")
# `llmobs render --target`: the compose bundle, or values files for the upstream charts made from it.
TARGETS = ("compose", "kubernetes")


@dataclass(frozen=True)
class Rendered:
    """A rendered bundle and what the render command writes beside it."""

    files: dict[str, bytes]
    default_dir: Path  # where the bundle goes without --out
    stamp: dict[str, str]  # the bundle marker's fields (llmobs.state.stamp)
    backend: str


def bundle(
    target: str, config: Path | None = None, sets: list[str] | tuple[str, ...] = (), backend: str | None = None
) -> Rendered:
    """The bundle for ``target`` (one of :data:`TARGETS`) and the effective settings; may raise LlmobsError."""
    from llmobs import cache
    from llmobs.config import by_settings

    def produce(loaded: Any) -> dict[str, Any]:
        from llmobs.state import bundle_dir, stamp

        default = bundle_dir(loaded)
        if target == "kubernetes":  # never over the compose bundle `llmobs up` runs
            from llmobs import kubernetes

            files = kubernetes.render(loaded.settings)
            default = default.with_name(f"{default.name}-kubernetes")
        else:
            from llmobs.render import render

            files = render(loaded.settings)
        return {
            # surrogateescape: any bytes survive the JSON round trip unchanged
            "files": {path: data.decode("utf-8", "surrogateescape") for path, data in files.items()},
            "default_dir": str(default),
            "stamp": stamp(loaded.settings),
            "backend": loaded.settings.backend,
        }

    inputs = [f for name in RENDER_PACKAGES for f in cache.package_files(name)]  # llmobs' own: by_settings
    record = by_settings(f"bundle-{target}", produce, inputs=inputs, config=config, sets=sets, backend=backend)
    return Rendered(
        files={path: text.encode("utf-8", "surrogateescape") for path, text in record["files"].items()},
        default_dir=Path(record["default_dir"]),
        stamp=dict(record["stamp"]),
        backend=record["backend"],
    )
