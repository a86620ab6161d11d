"""The size budget, derived: every byte limit on the path from app to backend, from two settings.

``limits.max_value_bytes`` (the largest prompt or completion kept) and ``limits.max_record_bytes``
(the largest total of string values in one span, span event or log record) are what a user decides.
Everything else is computed here, once, and the templates only print it: the collector's export
batches, Loki's line, structured-metadata, gRPC and rate limits, Tempo's attribute, trace, receiver
and rate limits. The rule is that anything within the budget is never refused or cut downstream;
larger content is cut by the collector, visibly, before it gets here.

Why the numbers are what they are (facts from the real Loki 3.7.6 / Tempo 3.0.3, see README):

* a record is its strings plus keys, ids, numbers and the resource attributes Loki copies into
  every entry's structured metadata: ``RECORD_HEADROOM`` on top of the record budget;
* an export batch holds at least one whole record (the exporter cannot split a record, and a
  record larger than a batch is dropped);
* Loki's ingester gRPC message (4 MiB by default) must hold a whole batch after Loki copies the
  resource attributes into every entry, so it gets a multiple of the batch; Loki's own gRPC
  clients default to 100 MiB, which the server limit must not exceed;
* a push larger than Loki's or Tempo's ingestion burst is refused forever (retried, then dropped),
  so each burst is at least the largest push;
* Tempo truncates any attribute over ``max_attribute_bytes`` and drops traces over
  ``max_bytes_per_trace``; its OTLP gRPC receiver accepts 4 MiB by default.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from llmobs.settings import Limits

KiB = 1024
MiB = 1024 * 1024

# Non-content bytes of a record on the wire: attribute keys, ids, numbers, the collector's truncation
# marker, and the resource and scope attributes Loki stores as structured metadata on every entry.
RECORD_HEADROOM = 256 * KiB
# The collector's truncation marker ("...[truncated N bytes]") may follow a value cut at the budget.
MARKER_HEADROOM = 1 * KiB
# Export batches flush at this many bytes (or after flush_timeout), and are never larger than
# ``export_batch_bytes``.
BATCH_MIN_BYTES = 1 * MiB
# The smallest batch cap for in-stack backends, and for external vendors (4 MiB is the common
# gRPC server default, so vendor batches stay below it unless a single record is larger).
STACK_BATCH_FLOOR = 4 * MiB
VENDOR_BATCH_FLOOR = 3 * MiB
# Loki: a push can grow when Loki copies resource attributes into every entry; 64 MiB is what the
# real Loki took for a 4.5 MB push. Its gRPC clients (ingester, frontend worker) default to 100 MiB.
LOKI_GRPC_FLOOR = 64 * MiB
LOKI_GRPC_GROWTH = 4
LOKI_CLIENT_DEFAULT = 100 * MiB
# Loki's ingestion rate (MiB/s) and its per-stream limit: the old defaults, kept as floors.
LOKI_RATE_MB = 16
LOKI_BURST_FLOOR_MB = 32
# Tempo: the default trace cap is 5 MB; LLM traces with content are large, so 50 MB at least, and
# room for several records at the budget.
TEMPO_TRACE_FLOOR = 50_000_000
TEMPO_TRACE_RECORDS = 8
TEMPO_GRPC_FLOOR = 64 * MiB
TEMPO_RATE_FLOOR = 15_000_000  # Tempo's default ingestion rate_limit_bytes
TEMPO_BURST_FLOOR = 20_000_000  # Tempo's default ingestion burst_size_bytes
# The collector's own OTLP receivers (what apps send): several records at the budget per export, and
# never less than the HTTP receiver's own default body limit (20 MiB), so nothing accepted before is refused.
RECEIVER_FLOOR = 20 * MiB
RECEIVER_RECORDS = 4


@dataclass(frozen=True)
class Budget:
    """Every size limit llmobs renders, in bytes unless the name says otherwise."""

    value_bytes: int
    record_bytes: int
    record_wire_bytes: int  # the largest record as sent: content + RECORD_HEADROOM
    batch_min_bytes: int
    export_batch_bytes: int  # collector -> Tempo / Loki, per request (bytes sizer)
    vendor_batch_bytes: int  # collector -> Datadog / an OTLP vendor, per request
    receiver_bytes: int  # collector's OTLP receivers: gRPC message and HTTP body
    loki_line_bytes: int
    loki_metadata_bytes: int
    loki_grpc_bytes: int
    loki_rate_mb: int
    loki_burst_mb: int
    tempo_attribute_bytes: int
    tempo_trace_bytes: int
    tempo_grpc_bytes: int
    tempo_rate_bytes: int
    tempo_burst_bytes: int

    @property
    def receiver_mib(self) -> int:
        return _mib(self.receiver_bytes)

    @property
    def loki_line_kb(self) -> str:
        """Loki's byte sizes parse with binary units: ``KB`` is 1024 bytes (its own 1MB = 1 MiB)."""
        return f"{math.ceil(self.loki_line_bytes / KiB)}KB"

    @property
    def loki_metadata_kb(self) -> str:
        return f"{math.ceil(self.loki_metadata_bytes / KiB)}KB"

    @property
    def loki_burst_bytes_mb(self) -> str:
        return f"{self.loki_burst_mb}MB"

    @property
    def tempo_grpc_mib(self) -> int:
        return _mib(self.tempo_grpc_bytes)


def _mib(n: int) -> int:
    return math.ceil(n / MiB)


def _round_mib(n: int) -> int:
    return _mib(n) * MiB


def budget(limits: Limits) -> Budget:
    """The limits every template renders, from ``limits.max_value_bytes`` and ``max_record_bytes``."""
    value, record = limits.max_value_bytes, limits.max_record_bytes
    wire = record + RECORD_HEADROOM
    batch = _round_mib(max(STACK_BATCH_FLOOR, wire + MiB))
    loki_grpc = min(LOKI_CLIENT_DEFAULT, max(LOKI_GRPC_FLOOR, LOKI_GRPC_GROWTH * batch))
    trace = max(TEMPO_TRACE_FLOOR, TEMPO_TRACE_RECORDS * wire)
    tempo_grpc = _round_mib(max(TEMPO_GRPC_FLOOR, trace + 4 * MiB))
    return Budget(
        value_bytes=value,
        record_bytes=record,
        record_wire_bytes=wire,
        batch_min_bytes=BATCH_MIN_BYTES,
        export_batch_bytes=batch,
        vendor_batch_bytes=max(VENDOR_BATCH_FLOOR, wire + RECORD_HEADROOM),
        receiver_bytes=_round_mib(max(RECEIVER_FLOOR, RECEIVER_RECORDS * wire)),
        loki_line_bytes=wire,
        loki_metadata_bytes=wire,
        loki_grpc_bytes=loki_grpc,
        loki_rate_mb=LOKI_RATE_MB,
        loki_burst_mb=max(LOKI_BURST_FLOOR_MB, _mib(loki_grpc)),
        tempo_attribute_bytes=value + MARKER_HEADROOM,
        tempo_trace_bytes=trace,
        tempo_grpc_bytes=tempo_grpc,
        tempo_rate_bytes=max(TEMPO_RATE_FLOOR, 2 * batch),
        tempo_burst_bytes=max(TEMPO_BURST_FLOOR, tempo_grpc),
    )
