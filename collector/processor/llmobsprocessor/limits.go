package llmobsprocessor

import (
	"slices"
	"strconv"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// The size budget. Every limit downstream (Loki's line, structured-metadata and gRPC limits, Tempo's
// attribute and trace limits, the exporters' batch sizes) is rendered from the same two numbers by
// `llmobs render`, so a value that leaves this processor within budget is never refused or silently
// cut later. Here, a value over budget is cut visibly: its text ends in the marker below, and the cut
// is counted (otelcol_llmobs_truncated_values / _bytes).

// truncatedMarker is appended to a cut value; %d is the number of bytes removed.
const truncatedMarker = "…[truncated "

// markerReserve is the most bytes the marker can take ("…[truncated 18446744073709551615 bytes]").
const markerReserve = len(truncatedMarker) + 20 + len(" bytes]")

type limiter struct {
	maxValue, maxRecord int // 0: no cap
}

// cut returns s within max bytes (marker included), cut at a UTF-8 boundary, and the bytes removed.
func cut(s string, max int) (string, int) {
	if len(s) <= max {
		return s, 0
	}
	keep := max - markerReserve
	if keep < 0 {
		keep = 0
	}
	for keep > 0 && !utf8.RuneStart(s[keep]) {
		keep--
	}
	removed := len(s) - keep
	return s[:keep] + truncatedMarker + strconv.Itoa(removed) + " bytes]", removed
}

// leaf is one string value of a record, wherever it sits (an attribute, inside a map or list, a body).
type leaf struct {
	v pcommon.Value
	n int
}

// collect appends the string leaves of v (walking maps and lists) to out.
func collect(v pcommon.Value, out []leaf) []leaf {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		out = append(out, leaf{v, len(v.Str())})
	case pcommon.ValueTypeMap:
		for _, child := range v.Map().All() {
			out = collect(child, out)
		}
	case pcommon.ValueTypeSlice:
		s := v.Slice()
		for i := 0; i < s.Len(); i++ {
			out = collect(s.At(i), out)
		}
	}
	return out
}

func collectMap(m pcommon.Map, out []leaf) []leaf {
	for _, v := range m.All() {
		out = collect(v, out)
	}
	return out
}

// apply cuts the leaves to the budget: each to maxValue, then, if their total is still over maxRecord,
// the largest ones down to one common cap (the smallest cap that fits), so short values (ids, names)
// are never touched to make room for one huge prompt.
func (l limiter) apply(leaves []leaf) (values, bytes int64) {
	total := 0
	for i := range leaves {
		if l.maxValue > 0 && leaves[i].n > l.maxValue {
			leaves[i].n = l.maxValue
		}
		total += leaves[i].n
	}
	limit := l.maxValue
	if l.maxRecord > 0 && total > l.maxRecord {
		limit = recordCap(leaves, l.maxRecord)
	}
	if limit <= 0 {
		return 0, 0
	}
	for _, lf := range leaves {
		s := lf.v.Str()
		if len(s) <= limit {
			continue
		}
		short, removed := cut(s, limit)
		lf.v.SetStr(short)
		values++
		bytes += int64(removed)
	}
	return values, bytes
}

// recordCap finds the largest per-value cap c with sum(min(n_i, c)) <= budget (water filling).
func recordCap(leaves []leaf, budget int) int {
	sizes := make([]int, len(leaves))
	for i, lf := range leaves {
		sizes[i] = lf.n
	}
	slices.Sort(sizes)
	rest := budget
	for i, n := range sizes {
		share := rest / (len(sizes) - i)
		if n > share {
			if share < markerReserve+1 {
				share = markerReserve + 1
			}
			return share
		}
		rest -= n
	}
	return budget
}

// span applies the budget to a span: each value, then the span's attributes and events together (Tempo
// stores them as one span).
func (l limiter) span(span ptrace.Span) (int64, int64) {
	if l.maxValue <= 0 && l.maxRecord <= 0 {
		return 0, 0
	}
	var buf [32]leaf
	leaves := collectMap(span.Attributes(), buf[:0])
	events := span.Events()
	for i := 0; i < events.Len(); i++ {
		leaves = collectMap(events.At(i).Attributes(), leaves)
	}
	return l.apply(leaves)
}

// logRecord applies the budget to a log record's attributes and body (Loki stores the attributes as
// structured metadata, limited per record, and the body as the line).
func (l limiter) logRecord(lr plog.LogRecord) (int64, int64) {
	if l.maxValue <= 0 && l.maxRecord <= 0 {
		return 0, 0
	}
	var buf [32]leaf
	leaves := collectMap(lr.Attributes(), buf[:0])
	leaves = collect(lr.Body(), leaves)
	return l.apply(leaves)
}
