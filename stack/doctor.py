"""``llmobs doctor``: every precondition of ``llmobs up``, each one line, ✓ or ✗ with the fix.

It runs the same checks ``up`` runs (engine, compose tool, ports, images),
plus disk space and versions, but does not stop at the first failure: the
point is one screen that says everything that is wrong.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from llmobs import __version__, ports
from llmobs.compose import find_tool
from llmobs.config import Loaded
from llmobs.engine import Engine, connect
from llmobs.errors import LlmobsError
from llmobs.lifecycle import load

MIN_FREE_GIB = 4.0  # the five upstream images unpack to ~1.5 GB; data volumes need room to grow


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""


def run(loaded: Loaded) -> list[Check]:
    return list(_checks(loaded))


def _checks(loaded: Loaded) -> Iterator[Check]:
    stack, _ = load(loaded, write=False)
    yield Check("llmobs", True, f"llmobs {__version__}, backend {stack.settings.backend}, project {stack.project}")
    engine: Engine | None = None
    try:
        engine = connect(timeout=15)
        v = engine.version()
        yield Check("engine", True, f"Docker {v['version']} (API {v['api']}) at {engine.host}")
    except LlmobsError as exc:
        yield Check("engine", False, exc.problem, exc.fix or "")
    try:
        tool = find_tool()
        yield Check("compose", True, f"`{tool.name}` {tool.version}")
    except LlmobsError as exc:
        yield Check("compose", False, exc.problem, exc.fix or "")
    try:
        conflicts = ports.taken(stack.ports, stack.settings.bind_address, engine, stack.project)
    except LlmobsError as exc:
        yield Check("ports", False, exc.problem, exc.fix or "")
    else:
        listed = ", ".join(str(hp.port) for hp in stack.ports)
        if conflicts:
            for hp, holder in conflicts:
                yield Check(
                    f"port {hp.port}",
                    False,
                    f"ports.{hp.key} ({hp.what}): taken by {holder}",
                    f"--set ports.{hp.key}=…",
                )
        else:
            yield Check("ports", True, f"free on {stack.settings.bind_address} (or ours): {listed}")
    if engine is None:
        return
    yield _disk(engine)
    builds = stack.builds
    for service, ref in stack.images.items():
        if engine.has_image(ref):
            yield Check(f"image {service}", True, f"{ref} present")
        elif service in builds:
            yield Check(
                f"image {service}",
                True,
                f"{ref} not present; `llmobs up` pulls it or builds it from {builds[service] / 'Dockerfile'}",
            )
        elif _pullable(engine, ref):
            yield Check(f"image {service}", True, f"{ref} not present; `llmobs up` will pull it")
        else:
            yield Check(
                f"image {service}",
                False,
                f"{ref} not present and its registry is not reachable",
                f"connect to the network, `docker load` it, or --set images.{service}=…",
            )


def _disk(engine: Engine) -> Check:
    root = engine.root_dir()
    if not root or not Path(root).exists():
        return Check("disk", True, f"engine data at {root or '?'} is not on this filesystem; not checked")
    free = shutil.disk_usage(root).free / 2**30
    ok = free >= MIN_FREE_GIB
    return Check("disk", ok, f"{free:.1f} GiB free at {root}", "" if ok else f"free at least {MIN_FREE_GIB:.0f} GiB")


def _pullable(engine: Engine, ref: str) -> bool:
    """Whether the registry answers for ``ref`` (asks for its manifest; downloads nothing)."""
    import docker

    try:
        engine.client.api.inspect_distribution(ref)
        return True
    except docker.errors.DockerException:
        return False
