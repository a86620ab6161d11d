"""Every committed file that is generated, and the one command that rewrites them: ``scripts/regenerate``.

Three groups, in this order because each later one reads the earlier ones from the package:

1. the Grafana dashboards, ``grafana/dashboards/*.json`` (:mod:`llmobs.grafana.build`);
2. the Datadog dashboard, ``stack/templates/datadog-dashboard.json`` (:mod:`llmobs.datadog`);
3. the default bundle at the repository root (``docker-compose.yml`` and the files it mounts:
   :func:`llmobs.render.render` of the default settings), so that ``docker compose up`` in a fresh
   clone equals ``llmobs up``. It copies the dashboards byte for byte and hashes them into
   ``docker-compose.yml``, so it is rendered after they are written.

``tests/test_generated_files.py`` fails, naming the file and :data:`COMMAND`, when a committed
file differs from a fresh generation; it generates in memory and never writes into the checkout.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from llmobs.datadog import DASHBOARD_RESOURCE
from llmobs.errors import LlmobsError

COMMAND = "scripts/regenerate"
# Where the generators' outputs live in a checkout (pyproject.toml maps llmobs.grafana to grafana/ and
# llmobs.templates to stack/templates/). The bundle's grafana/dashboards/ is the same folder.
DASHBOARDS = "grafana/dashboards"
DATADOG_DASHBOARD = f"stack/templates/{DASHBOARD_RESOURCE}"
# No llmobs.yaml and no LLMOBS_* variable: the committed bundle is the defaults.
NO_CONFIG = Path("/nonexistent-llmobs-defaults")


@dataclass(frozen=True)
class Group:
    """Files one generator makes. ``owns``: a glob of checkout paths that only this generator writes, so
    a file matching it that the generator no longer makes (a removed dashboard) is stale too."""

    name: str
    generate: Callable[[], dict[str, bytes]]
    owns: str = ""


def grafana_dashboards() -> dict[str, bytes]:
    from llmobs.grafana import build

    return {f"{DASHBOARDS}/{name}": text.encode() for name, text in build.render().items()}


def datadog_dashboard() -> dict[str, bytes]:
    from llmobs import datadog

    return {DATADOG_DASHBOARD: datadog.dashboard_json().encode()}


def default_bundle() -> dict[str, bytes]:
    from llmobs.config import load
    from llmobs.render import render

    return render(load(env={}, cwd=NO_CONFIG).settings)


GROUPS = (
    Group("Grafana dashboards", grafana_dashboards, owns=f"{DASHBOARDS}/*.json"),
    Group("Datadog dashboard", datadog_dashboard),
    Group("default bundle", default_bundle),
)


@dataclass(frozen=True)
class Change:
    path: str  # relative to the checkout
    action: str  # "updated" (new or different content) or "removed" (no longer generated)
    data: bytes = b""


def changes(root: Path, group: Group) -> list[Change]:
    """What writing ``group`` into the checkout at ``root`` would change (nothing is written)."""
    fresh = group.generate()
    found = [
        Change(rel, "updated", data)
        for rel, data in fresh.items()
        if not (root / rel).is_file() or (root / rel).read_bytes() != data
    ]
    if group.owns:
        owned = sorted(p.relative_to(root).as_posix() for p in root.glob(group.owns))
        found += [Change(rel, "removed") for rel in owned if rel not in fresh]
    return found


def regenerate(root: Path) -> list[Change]:
    """Rewrite every generated file of the checkout at ``root``, group by group; returns what changed."""
    _check_imported_from(root)
    done: list[Change] = []
    for group in GROUPS:
        for change in changes(root, group):
            target = root / change.path
            if change.action == "removed":
                target.unlink()
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(change.data)
            done.append(change)
    return done


def _check_imported_from(root: Path) -> None:
    """The bundle copies the dashboards from the *imported* llmobs.grafana: regenerating from an installed
    copy would write its (possibly older) generators' output and copy its dashboards, not the checkout's."""
    from llmobs.grafana import build

    imported = build.DASHBOARDS_DIR.resolve()
    if imported != (root / DASHBOARDS).resolve():
        raise LlmobsError(
            f"llmobs is imported from {imported.parent.parent}, not from the checkout {root}",
            fix=f"run {COMMAND}, which imports the checkout's sources",
        )
