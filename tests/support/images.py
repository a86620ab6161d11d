"""Build the container images the stack tests run, locally: no registry is reachable on test machines.

Real components where this machine has them: the collector is the binary
scripts/build-otelcol builds from collector/builder-config.yaml, laid out as
collector/Dockerfile lays out the llmobs collector image (``/otelcol-llmobs``,
CA certificates, same entrypoint, command and user); Prometheus is the pinned
release scripts/build-prometheus builds (static), laid out like ``prom/prometheus``
(``/bin/prometheus``, ``/prometheus`` owned by nobody).

Grafana, Tempo and Loki cannot be had here, so they are *stand-ins*, named as
such (``llmobs-test/<service>-standin``): a tiny static Go server
(tests/images/standin) that answers the service's readiness endpoint.

Each image is a rootfs tarball (deterministic: fixed owners and mtimes) brought
in with ``docker import``; its tag carries the tarball's hash, so an unchanged
image is never imported twice (the engine keeps it) and a changed one never
reuses a stale tag (earlier tags of the same image are removed). The Go-built
binaries (stand-in, registry) are cached under ``~/.cache/llmobs/images``.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llmobs import catalog, versions
from tests.support.procs import REPO, prometheus_tool

CACHE = Path(os.environ.get("LLMOBS_CACHE", Path.home() / ".cache" / "llmobs")) / "images"
STANDIN_SRC = REPO / "tests" / "images" / "standin"
NOBODY = 65534
OTELCOL_UID = 10001
_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")

# Grafana keeps its database (and so the admin password) here; the stand-in keeps the password there too.
GRAFANA_DATA = "/var/lib/grafana"
# What each stand-in answers: the real service's port and readiness path (llmobs.health polls the same paths).
STANDINS = {
    catalog.GRAFANA: (catalog.GRAFANA_PORT, "/api/health"),
    catalog.TEMPO: (catalog.TEMPO_HTTP_PORT, "/ready"),
    catalog.LOKI: (catalog.LOKI_PORT, "/ready"),
}


@dataclass
class _File:
    path: str  # inside the image, no leading slash
    data: bytes | None = None  # None: a directory (or a symlink, with link)
    mode: int = 0o644
    uid: int = 0
    link: str | None = None


def _tarball(entries: list[_File]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for entry in sorted(entries, key=lambda e: e.path):
            info = tarfile.TarInfo(entry.path)
            info.mtime = 0
            info.uid = info.gid = entry.uid
            info.mode = entry.mode
            if entry.link is not None:
                info.type = tarfile.SYMTYPE
                info.linkname = entry.link
                tar.addfile(info)
            elif entry.data is None:
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            else:
                info.size = len(entry.data)
                tar.addfile(info, io.BytesIO(entry.data))
    return buf.getvalue()


def _with_parents(entries: list[_File]) -> list[_File]:
    known = {e.path for e in entries}
    extra = []
    for entry in entries:
        parts = entry.path.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            parent = "/".join(parts[:i])
            if parent not in known:
                known.add(parent)
                extra.append(_File(parent, mode=0o755))
    base = [_File(d, mode=0o1777 if d == "tmp" else 0o755) for d in ("tmp", "etc") if d not in known]
    return entries + extra + base


def _import(client: Any, repo: str, version: str, entries: list[_File], changes: list[str]) -> str:
    """Import the rootfs as ``repo:<version>-<hash>`` unless that tag exists; return the reference."""
    import docker

    tar = _tarball(_with_parents(entries))
    digest = hashlib.sha256(tar + "\n".join(changes).encode()).hexdigest()[:12]
    ref = f"{repo}:{version}-{digest}"
    try:
        client.images.get(ref)
        return ref
    except docker.errors.ImageNotFound:
        pass
    for old in client.images.list(name=repo):  # earlier builds of this image: keep the engine's disk bounded
        for old_ref in old.tags:
            if old_ref.startswith(f"{repo}:"):
                remove_image(client, old_ref)
    client.api.import_image_from_data(tar, repository=repo, tag=ref.rpartition(":")[2], changes=changes)
    return ref


def collector_image(client: Any, binary: Path) -> str:
    """The real llmobs collector, laid out as collector/Dockerfile lays it out (FROM scratch).

    The Dockerfile itself needs Docker Hub's golang image, which cannot be pulled here; the binary is the
    same build (scripts/build-otelcol runs the same Collector Builder on the same manifest).
    """
    entries = [
        _File("otelcol-llmobs", binary.read_bytes(), 0o755),
        _File("etc/ssl/certs/ca-certificates.crt", _CA_BUNDLE.read_bytes()),
        _File(catalog.COLLECTOR_CONFIG_DIR.lstrip("/"), mode=0o755),
    ]
    changes = [
        'ENTRYPOINT ["/otelcol-llmobs"]',
        f'CMD ["--config", "{catalog.COLLECTOR_CONFIG_DIR}/config.yaml"]',
        f"USER {OTELCOL_UID}:{OTELCOL_UID}",
        f"EXPOSE {catalog.OTLP_GRPC_PORT} {catalog.OTLP_HTTP_PORT} {catalog.COLLECTOR_HEALTH_PORT}",
    ]
    return _import(client, "llmobs-test/otelcol-llmobs", versions.otelcol_version(), entries, changes)


def prometheus_binary() -> Path | None:
    return prometheus_tool("prometheus")


def prometheus_image(client: Any, binary: Path) -> str:
    """The real Prometheus (and any shared libraries it needs), laid out like prom/prometheus."""
    version_out = subprocess.run([str(binary), "--version"], capture_output=True, text=True, check=False)
    match = re.search(r"version (\d+\.\d+\.\d+)", version_out.stdout + version_out.stderr)
    version = match.group(1) if match else "0"
    entries = [
        _File("bin/prometheus", binary.read_bytes(), 0o755),
        _File("prometheus", mode=0o755, uid=NOBODY),
        _File("etc/prometheus", mode=0o755),
    ]
    for lib in _shared_libs(binary):
        entries.append(_File(lib.lstrip("/"), Path(lib).resolve().read_bytes(), 0o755))
    changes = [
        'ENTRYPOINT ["/bin/prometheus"]',
        'CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]',
        f"USER {NOBODY}:{NOBODY}",
        "WORKDIR /prometheus",
        f"EXPOSE {catalog.PROMETHEUS_PORT}",
    ]
    return _import(client, "llmobs-test/prometheus", version, entries, changes)


def _shared_libs(binary: Path) -> list[str]:
    """The absolute paths ``ldd`` resolves for a dynamic binary (none for a static one)."""
    out = subprocess.run(["ldd", str(binary)], capture_output=True, text=True, check=False).stdout
    return sorted({m for m in re.findall(r"(/\S+)", out) if Path(m).is_file()})


def standin_binary() -> Path | None:
    """tests/images/standin built with Go (cached by source hash); None without Go."""
    source = b"".join(p.read_bytes() for p in sorted(STANDIN_SRC.iterdir()) if p.is_file())
    out = CACHE / f"standin-{hashlib.sha256(source).hexdigest()[:12]}"
    if out.is_file():
        return out
    go = shutil.which("go")
    if not go:
        return None
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    env = {**os.environ, "CGO_ENABLED": "0", "GOFLAGS": "-mod=mod", "GOTOOLCHAIN": "local"}
    subprocess.run(
        [go, "build", "-trimpath", "-ldflags", "-s -w", "-o", str(tmp), "."],
        cwd=STANDIN_SRC,
        env=env,
        check=True,
        capture_output=True,
        timeout=600,
    )
    tmp.rename(out)
    return out


REGISTRY_MODULE = "github.com/distribution/distribution/v3/cmd/registry@v3.1.2"


def registry_binary() -> Path | None:
    """The CNCF Distribution registry, built once with Go (cached): a local registry to pull from."""
    out = CACHE / f"registry-{REGISTRY_MODULE.rsplit('@', 1)[1]}"
    if out.is_file():
        return out
    go = shutil.which("go")
    if not go:
        return None
    gobin = CACHE / "gobin.tmp"
    env = {**os.environ, "CGO_ENABLED": "0", "GOBIN": str(gobin)}
    subprocess.run(
        [go, "install", "-trimpath", "-ldflags", "-s -w", REGISTRY_MODULE],
        env=env,
        check=True,
        capture_output=True,
        timeout=1200,
    )
    (gobin / "registry").rename(out)
    gobin.rmdir()
    return out


def standin_image(client: Any, binary: Path, service: str, crash: str | None = None) -> str:
    """A stand-in for ``service`` (Grafana, Tempo or Loki): answers its readiness path, nothing more."""
    port, path = STANDINS[service]
    env = {"STANDIN_NAME": service, "STANDIN_PORT": str(port), "STANDIN_READY_PATH": path}
    entries = [_File("standin", binary.read_bytes(), 0o755)]
    if service == catalog.GRAFANA:  # the admin-password behaviour, and `grafana cli` for docker exec
        env["STANDIN_DATA_DIR"] = GRAFANA_DATA
        entries += [_File(GRAFANA_DATA.lstrip("/"), mode=0o755), _File("usr/bin/grafana", link="/standin")]
    if crash:
        env["STANDIN_CRASH"] = crash
    changes = [
        'ENTRYPOINT ["/standin"]',
        *(f"ENV {k}={json.dumps(v)}" for k, v in sorted(env.items())),  # quoted: values may hold spaces
        f"EXPOSE {port}",
    ]
    repo = f"llmobs-test/{service}-{'crashing-' if crash else ''}standin"
    return _import(client, repo, "1", entries, changes)


def remove_image(client: Any, ref: str) -> None:
    import docker

    with contextlib.suppress(docker.errors.ImageNotFound):
        client.images.remove(ref, force=True)
