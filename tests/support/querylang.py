"""TraceQL and LogQL, the subset the dashboards use, evaluated on what Tempo and Loki would store.

Tempo, Loki and Grafana cannot run here (AGPL, no binaries), so their behaviour is modelled on the
facts observed on the real Tempo 3.0.3 and Loki 3.7.6 (/work/shared/reference/realbackends.md):

* TraceQL compares by type: an int literal never matches a double attribute and vice versa;
  ``span.x =~ "..."`` only matches spans that have ``x``; ``span.x = nil`` matches spans without it.
* Loki stores OTLP log attributes, severity and trace_id as structured metadata with dots turned
  into underscores; ``service_name`` and ``deployment_environment_name`` are index labels; the
  event name survives only as the ``event.name`` attribute; ``detected_level`` is filled for every
  record (from a level-like field such as severity_text, else severity_number, else the line).
* A line filter applies to the current line: the body, or what ``line_format`` made of it.
"""

from __future__ import annotations

import json
import re
from typing import Any

from llmobs import names as n

LOKI_INDEX_LABELS = {"service_name", "deployment_environment_name"}

# --- TraceQL ---------------------------------------------------------------------------------------

_COND = re.compile(
    r'(?P<ref>(?:span|resource)\.[\w.]+|span:\w+)\s*(?P<op>=~|!=|>=|<=|=|>|<)\s*(?P<val>"(?:[^"\\]|\\.)*"|[-\w.]+)'
)


def span_value(span: dict[str, Any], ref: str) -> Any:
    scope, _, key = ref.partition(".")
    if ref == "span:status":
        return {0: "unset", 1: "ok", 2: "error"}[span["status"].get("code", 0)]
    if ref == "span:duration":
        return span["duration"]
    if ref == "span:name":
        return span["name"]
    return (span["resource"] if scope == "resource" else span["attributes"]).get(key)


def literal_kind(raw: str) -> str:
    """The TraceQL type of a literal: string, nil, bool, int or double."""
    if raw.startswith('"'):
        return "string"
    if raw in ("nil", "true", "false"):
        return "nil" if raw == "nil" else "bool"
    if re.fullmatch(r"-?\d+", raw):
        return "int"
    if re.fullmatch(r"-?(\d+\.\d*|\.\d+|\d+(\.\d*)?[eE][-+]?\d+)", raw):
        return "double"
    return "other"


def _value_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "double"
    return "string"


def compare(value: Any, op: str, raw: str) -> bool:
    kind = literal_kind(raw)
    if kind == "nil":
        return (value is None) == (op == "=")
    if value is None:
        return False
    want = raw[1:-1] if kind == "string" else raw
    if op == "=~":
        return re.fullmatch(want, str(value)) is not None
    if kind in ("int", "double") and not isinstance(value, str) and _value_kind(value) != kind:
        return False  # Tempo: 0 never equals, exceeds or undercuts a double, nor 0.0 an int
    if op in ("=", "!="):
        if kind in ("int", "double"):
            return (float(value) == float(want)) == (op == "=")
        return (str(value).lower() if kind == "bool" else str(value)) == want if op == "=" else str(value) != want
    number = float(want)
    return {">": value > number, "<": value < number, ">=": value >= number, "<=": value <= number}[op]


def _split_top(text: str, sep: str) -> list[str]:
    """``text`` split on ``sep`` outside parentheses and quotes."""
    parts, depth, quoted, start, i = [], 0, False, 0, 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and quoted:
            i += 2
            continue
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
        elif not quoted and ch == ")":
            depth -= 1
        elif not quoted and depth == 0 and text.startswith(sep, i):
            parts.append(text[start:i])
            i += len(sep)
            start = i
            continue
        i += 1
    parts.append(text[start:])
    return [p.strip() for p in parts]


def _span_condition(cond: str, span: dict[str, Any]) -> bool:
    cond = cond.strip()
    if cond.startswith("(") and cond.endswith(")"):
        return any(_span_condition(c, span) for c in _split_top(cond[1:-1], "||"))
    m = _COND.fullmatch(cond)
    assert m, f"unsupported TraceQL condition {cond!r}"
    return compare(span_value(span, m["ref"]), m["op"], m["val"])


def conditions(query: str) -> list[tuple[str, str, str]]:
    """Every ``ref op literal`` comparison of a query (spanset filters and aggregate filters)."""
    found = [(m["ref"], m["op"], m["val"]) for m in _COND.finditer(query)]
    found += [
        (m[1], m[2], m[3])
        for m in re.finditer(r"(?:sum|avg|max|min)\((span\.[\w.]+)\)\s*(>=|<=|>|<|=)\s*([-\w.]+)", query)
    ]
    return found


def _spanset(text: str, spans: list[dict[str, Any]]) -> list[dict[str, Any]]:
    conds = _split_top(text.strip().strip("{}").strip(), "&&")
    return [s for s in spans if all(_span_condition(c, s) for c in conds)]


def traceql(query: str, spans: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Spans a TraceQL query of the subset the dashboards use would return."""
    head, *pipeline = [p.strip() for p in re.split(r"\s\|\s", query)]
    if ">>" in head:
        left, right = head.split(">>")
        ancestors = {(s["trace_id"], s["span_id"]) for s in _spanset(left, spans)}
        by_id = {(s["trace_id"], s["span_id"]): s for s in spans}

        def under(s: dict[str, Any]) -> bool:
            key = (s["trace_id"], s["parent"])
            while key in by_id:
                if key in ancestors:
                    return True
                key = (s["trace_id"], by_id[key]["parent"])
            return False

        matched = [s for s in _spanset(right, spans) if under(s)]
    else:
        matched = _spanset(head, spans)
    for stage in pipeline:
        if stage.startswith("select("):
            continue
        m = re.fullmatch(r"sum\((span\.[\w.]+)\)\s*>\s*([-\w.]+)", stage)
        assert m, f"unsupported TraceQL stage {stage!r}"
        totals: dict[str, float] = {}
        for s in matched:
            value = span_value(s, m[1])
            if literal_kind(m[2]) == "int" and isinstance(value, float):
                return []  # a double sum never compares with an int literal
            totals[s["trace_id"]] = totals.get(s["trace_id"], 0.0) + float(value or 0)
        matched = [s for s in matched if totals[s["trace_id"]] > float(m[2])]
    return matched


# --- LogQL -----------------------------------------------------------------------------------------

_LEVELS = (  # OTLP severity number ranges -> Loki's detected_level
    (4, "trace"),
    (8, "debug"),
    (12, "info"),
    (16, "warn"),
    (20, "error"),
    (24, "fatal"),
)


def detected_level(severity_text: str | None, severity_number: int | None, line: str) -> str:
    if severity_text:
        text = severity_text.lower()
        return {"warning": "warn", "err": "error", "critical": "critical"}.get(text, text)
    if severity_number:
        return next(level for top, level in _LEVELS if int(severity_number) <= top)
    for level in ("error", "warn", "info", "debug"):
        if re.search(rf"\b{level}", line, re.IGNORECASE):
            return level
    return "unknown"


def loki_value(value: Any) -> str:
    return json.dumps(value, separators=(",", ":")) if isinstance(value, list | dict) else str(value)


def loki_entries(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Log records (``tests.support.collector.logs``) as Loki stores them: index labels, structured
    metadata (resource and record attributes, severity, trace_id; ``EventName`` dropped), the line."""
    out = []
    for rec in records:
        fields = {n.prom_label(k): loki_value(v) for k, v in rec["resource"].items()}
        fields |= {n.prom_label(k): loki_value(v) for k, v in rec["attributes"].items()}
        for key in ("severity_text", "trace_id", "severity_number"):
            if rec.get(key):
                fields[key] = str(rec[key])
        line = loki_value(rec["body"]) if rec.get("body") is not None else ""
        fields["detected_level"] = detected_level(rec.get("severity_text"), rec.get("severity_number"), line)
        index = {k: v for k, v in fields.items() if k in LOKI_INDEX_LABELS}
        out.append({"index": index, "fields": fields, "line": line})
    return out


_STAGE = re.compile(
    r'\s*\|(?:~\s*"(?P<line>(?:[^"\\]|\\.)*)"'
    r'|\s*line_format\s*"(?P<fmt>(?:[^"\\]|\\.)*)"'
    r"|(?P<expr>(?:[^|\"]|\"(?:[^\"\\]|\\.)*\")+))"
)
_LABEL = re.compile(r'\s*(?P<label>\w+)\s*(?P<op>>=|<=|!=|=~|!~|=|>|<)\s*(?P<val>"(?:[^"\\]|\\.)*"|[\d.]+)\s*')


# ``{{ if contains \"text\" .field }}...{{ end }}`` (Go template, quotes escaped inside line_format "...").
_IF_CONTAINS = re.compile(r'\{\{\s*if contains \\"((?:[^"\\]|\\[^"])*)\\" \.(\w+)\s*\}\}(.*?)\{\{\s*end\s*\}\}')


def _label_expr(expr: str, fields: dict[str, str]) -> bool:
    expr = expr.strip()
    ors = _split_top(expr, " or ")
    if len(ors) > 1:
        return any(_label_expr(e, fields) for e in ors)
    ands = _split_top(expr, " and ")
    if len(ands) > 1:
        return all(_label_expr(e, fields) for e in ands)
    if expr.startswith("(") and expr.endswith(")"):
        return _label_expr(expr[1:-1], fields)
    m = _LABEL.fullmatch(expr)
    assert m, f"unsupported LogQL label filter {expr!r}"
    return label_filter(fields.get(m["label"], ""), m["op"], m["val"])


def label_filter(value: str, op: str, raw: str) -> bool:
    if raw.startswith('"'):
        want = raw[1:-1]
        if op in ("=", "!="):
            return (value == want) == (op == "=")
        return bool(re.fullmatch(want, value)) == (op == "=~")
    if value == "":
        return False
    number, have = float(raw), float(value)
    return {">": have > number, "<": have < number, ">=": have >= number, "<=": have <= number}[op]


def logql(query: str, entries: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[str]]:
    """Entries a log query (optionally inside ``sum by (...) (rate(... [range]))``) selects, each with
    its final line, and the labels it groups by or formats."""
    labels: list[str] = []
    if m := re.fullmatch(r"sum by \(([^)]*)\) \(rate\((.*) \[[^\]]+\]\)\)", query):
        labels += m[1].split(", ")
        query = m[2]
    selector, _, rest = query.partition("}")
    matchers = re.findall(r'(\w+)\s*(=~|!~|!=|=)\s*"([^"]*)"', selector + "}")
    assert all(name in LOKI_INDEX_LABELS for name, _, _ in matchers), f"not an index label in {selector}"
    assert any(op in ("=", "=~") and not re.fullmatch(v, "") for _, op, v in matchers), f"Loki refuses {selector}"
    selected = [
        dict(e) for e in entries if all(re.fullmatch(v, e["index"].get(k, "")) for k, op, v in matchers if op == "=~")
    ]
    pos = 0
    while pos < len(rest):
        m = _STAGE.match(rest, pos)
        assert m, f"unsupported LogQL at {rest[pos:]!r}"
        pos = m.end()
        if m["line"] is not None:
            selected = [e for e in selected if re.search(m["line"], e["line"])]
        elif m["fmt"] is not None:
            names = re.findall(r"\{\{\s*\.(\w+)\s*\}\}", m["fmt"])
            names += [x[2] for x in _IF_CONTAINS.finditer(m["fmt"])]
            labels += names
            for e in selected:
                line = _IF_CONTAINS.sub(lambda x, f=e["fields"]: x[3] if x[1] in f.get(x[2], "") else "", m["fmt"])
                line = re.sub(r"\{\{\s*__line__\s*\}\}", lambda _, e=e: e["line"], line)
                e["line"] = re.sub(r"\{\{\s*\.(\w+)\s*\}\}", lambda x, f=e["fields"]: f.get(x[1], ""), line)
        elif m["expr"].strip():
            selected = [e for e in selected if _label_expr(m["expr"], e["fields"])]
    return selected, labels
