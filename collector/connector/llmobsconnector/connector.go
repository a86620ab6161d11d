package llmobsconnector

import (
	"context"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/llmobs/otelcol-llmobs/connector/llmobsconnector/internal/metadata"
)

type llmobsConnector struct {
	component.StartFunc
	component.ShutdownFunc

	next   consumer.Metrics
	labels []string // extra span attributes, after the usage labels

	mu   sync.Mutex
	last pcommon.Timestamp // end of the previous delta interval
}

func newConnector(cfg *Config, next consumer.Metrics) *llmobsConnector {
	return &llmobsConnector{next: next, labels: cfg.Labels, last: pcommon.NewTimestampFromTime(time.Now())}
}

func (c *llmobsConnector) Capabilities() consumer.Capabilities {
	return consumer.Capabilities{MutatesData: false}
}

// metric ids, in output order.
const (
	mCost = iota
	mUnpriced
	mTokens
	mFinish
	mTTFC
	numMetrics
)

// point is one data point being aggregated: a sum, or a histogram's counts.
type point struct {
	labels []string // usage labels, extra labels, then the metric's own (token type, finish reason)
	sum    float64
	isum   int64
	count  uint64
	counts []uint64
}

// resourceAgg collects one resource's (service, environment) points.
type resourceAgg struct {
	attrs  [len(resourceLabels)]pcommon.Value
	has    [len(resourceLabels)]bool
	points [numMetrics]map[string]*point
}

// batch is what one ConsumeTraces call adds up.
type batch struct {
	resources map[string]*resourceAgg
	order     []string
	labels    []string // the current span's usage and extra label values (scratch)
	key       []byte   // a point's map key (scratch): no allocation when the point exists
}

// ConsumeTraces adds up one batch of spans and sends their metrics downstream as delta points.
func (c *llmobsConnector) ConsumeTraces(ctx context.Context, td ptrace.Traces) error {
	b := batch{resources: map[string]*resourceAgg{}}
	var key strings.Builder
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		res := rs.Resource().Attributes()
		key.Reset()
		var values [len(resourceLabels)]pcommon.Value
		var has [len(resourceLabels)]bool
		for j, name := range resourceLabels {
			if v, ok := res.Get(name); ok {
				values[j], has[j] = v, true
				key.WriteString(v.AsString())
			}
			key.WriteByte(0)
		}
		rk := key.String()
		agg := b.resources[rk]
		if agg == nil {
			agg = &resourceAgg{attrs: values, has: has}
			for m := range agg.points {
				agg.points[m] = map[string]*point{}
			}
			b.resources[rk] = agg
			b.order = append(b.order, rk)
		}
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				c.span(&b, agg, spans.At(k).Attributes())
			}
		}
	}
	if len(b.order) == 0 {
		return nil
	}
	md := c.emit(&b)
	if md.DataPointCount() == 0 {
		return nil
	}
	return c.next.ConsumeMetrics(ctx, md)
}

// span adds one span's contributions. Nothing is allocated for a span that contributes nothing.
func (c *llmobsConnector) span(b *batch, agg *resourceAgg, attrs pcommon.Map) {
	cost, hasCost := attrs.Get(attrCost)
	unpriced, hasUnpriced := attrs.Get(attrUnpriced)
	ttfc, hasTTFC := attrs.Get(attrTTFC)
	op, hasOp := attrs.Get(attrOperation)
	aggregate := hasOp && op.Type() == pcommon.ValueTypeStr && aggregateOperations[op.Str()]
	var tokens [len(tokenTypes)]int64
	var hasTokens [len(tokenTypes)]bool
	anyTokens := false
	if !aggregate {
		for i, t := range tokenTypes {
			if v, ok := attrs.Get(t.attr); ok {
				if n, ok := asInt(v); ok && n >= 0 {
					tokens[i], hasTokens[i], anyTokens = n, true, true
				}
			}
		}
	}
	reasons, hasReasons := attrs.Get(attrFinishReasons)
	hasReasons = hasReasons && !aggregate && (reasons.Type() == pcommon.ValueTypeSlice || reasons.Type() == pcommon.ValueTypeStr)
	if !hasCost && !hasUnpriced && !hasTTFC && !anyTokens && !hasReasons {
		return
	}
	b.labels = c.baseLabels(b.labels[:0], attrs)
	base := b.labels

	if hasCost {
		if f, ok := asFloat(cost); ok {
			agg.add(b, mCost, base, "", func(p *point) { p.sum += f })
		}
	}
	if hasUnpriced && unpriced.Type() == pcommon.ValueTypeBool && unpriced.Bool() {
		agg.add(b, mUnpriced, base, "", func(p *point) { p.isum++ })
	}
	for i, t := range tokenTypes {
		if hasTokens[i] {
			n := tokens[i]
			agg.add(b, mTokens, base, t.typ, func(p *point) { p.isum += n })
		}
	}
	if hasReasons {
		for _, reason := range finishReasons(reasons) {
			agg.add(b, mFinish, base, reason, func(p *point) { p.isum++ })
		}
	}
	if hasTTFC {
		if f, ok := asFloat(ttfc); ok {
			agg.add(b, mTTFC, base, "", func(p *point) {
				if p.counts == nil {
					p.counts = make([]uint64, len(ttfcBuckets)+1)
				}
				p.counts[bucket(f)]++
				p.count++
				p.sum += f
			})
		}
	}
}

// baseLabels are the usage labels then the extra labels of a span (their defaults when absent).
func (c *llmobsConnector) baseLabels(out []string, attrs pcommon.Map) []string {
	for _, name := range usageLabels {
		out = append(out, labelValue(attrs, name, unknownValue))
	}
	for _, name := range c.labels {
		out = append(out, labelValue(attrs, name, noneValue))
	}
	return out
}

func labelValue(attrs pcommon.Map, name, absent string) string {
	v, ok := attrs.Get(name)
	if !ok || v.Type() == pcommon.ValueTypeEmpty || v.AsString() == "" {
		return absent
	}
	return v.AsString()
}

func (r *resourceAgg) add(b *batch, metric int, base []string, own string, update func(*point)) {
	b.key = b.key[:0]
	for _, l := range base {
		b.key = append(b.key, l...)
		b.key = append(b.key, 0)
	}
	b.key = append(b.key, own...)
	p := r.points[metric][string(b.key)] // no allocation: Go looks up a []byte key without copying it
	if p == nil {
		labels := make([]string, len(base), len(base)+1)
		copy(labels, base)
		if own != "" {
			labels = append(labels, own)
		}
		p = &point{labels: labels}
		r.points[metric][string(b.key)] = p
	}
	update(p)
}

// finishReasons are the normalised reasons of a span's finish_reasons: a list counts once per
// reason it holds, a list with no known reason (or an unknown string) counts as "other".
func finishReasons(v pcommon.Value) []string {
	if v.Type() == pcommon.ValueTypeStr {
		if i, ok := finishReasonOf[v.Str()]; ok {
			return []string{finishGroups[i].reason}
		}
		return []string{finishOther}
	}
	var found [len(finishGroups)]bool
	known := false
	s := v.Slice()
	for i := 0; i < s.Len(); i++ {
		if e := s.At(i); e.Type() == pcommon.ValueTypeStr {
			if g, ok := finishReasonOf[e.Str()]; ok {
				found[g], known = true, true
			}
		}
	}
	if !known {
		return []string{finishOther}
	}
	var out []string
	for g, ok := range found {
		if ok {
			out = append(out, finishGroups[g].reason)
		}
	}
	return out
}

func bucket(v float64) int {
	for i, b := range ttfcBuckets {
		if v <= b {
			return i
		}
	}
	return len(ttfcBuckets)
}

// asInt reads a token count: an int, a double (truncated) or a numeric string.
func asInt(v pcommon.Value) (int64, bool) {
	switch v.Type() {
	case pcommon.ValueTypeInt:
		return v.Int(), true
	case pcommon.ValueTypeDouble:
		f := v.Double()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return 0, false
		}
		return int64(f), true
	case pcommon.ValueTypeStr:
		if n, err := strconv.ParseInt(strings.TrimSpace(v.Str()), 10, 64); err == nil {
			return n, true
		}
		if f, err := strconv.ParseFloat(strings.TrimSpace(v.Str()), 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
			return int64(f), true
		}
	}
	return 0, false
}

// asFloat reads a double, an int or a numeric string.
func asFloat(v pcommon.Value) (float64, bool) {
	switch v.Type() {
	case pcommon.ValueTypeDouble:
		f := v.Double()
		return f, !math.IsNaN(f) && !math.IsInf(f, 0)
	case pcommon.ValueTypeInt:
		return float64(v.Int()), true
	case pcommon.ValueTypeStr:
		f, err := strconv.ParseFloat(strings.TrimSpace(v.Str()), 64)
		return f, err == nil && !math.IsNaN(f) && !math.IsInf(f, 0)
	}
	return 0, false
}

// emit turns a batch into delta metrics covering (previous emission, now].
func (c *llmobsConnector) emit(b *batch) pmetric.Metrics {
	c.mu.Lock()
	start := c.last
	now := pcommon.NewTimestampFromTime(time.Now())
	if now <= start {
		now = start + 1
	}
	c.last = now
	c.mu.Unlock()

	md := pmetric.NewMetrics()
	for _, rk := range b.order {
		agg := b.resources[rk]
		empty := true
		for _, pts := range agg.points {
			if len(pts) > 0 {
				empty = false
			}
		}
		if empty {
			continue
		}
		rm := md.ResourceMetrics().AppendEmpty()
		for i, name := range resourceLabels {
			if agg.has[i] {
				agg.attrs[i].CopyTo(rm.Resource().Attributes().PutEmpty(name))
			}
		}
		sm := rm.ScopeMetrics().AppendEmpty()
		sm.Scope().SetName(metadata.ScopeName)
		for m, pts := range agg.points {
			if len(pts) == 0 {
				continue
			}
			c.metric(sm.Metrics().AppendEmpty(), m, pts, start, now)
		}
	}
	return md
}

func (c *llmobsConnector) metric(out pmetric.Metric, m int, pts map[string]*point, start, now pcommon.Timestamp) {
	keys := make([]string, 0, len(pts))
	for k := range pts {
		keys = append(keys, k)
	}
	slices.Sort(keys) // deterministic output
	own := ""
	switch m {
	case mCost:
		out.SetName(metricCost)
		out.SetDescription("Cost of LLM calls in US dollars, from token counts and genai-prices.")
		out.SetUnit("{USD}")
	case mUnpriced:
		out.SetName(metricUnpriced)
		out.SetDescription("LLM calls with token counts but no known price.")
		out.SetUnit("{call}")
	case mTokens:
		out.SetName(metricTokens)
		out.SetDescription("Tokens of LLM calls by type (input includes cache reads and writes), from spans.")
		out.SetUnit("{token}")
		own = attrTokenType
	case mFinish:
		out.SetName(metricFinish)
		out.SetDescription("LLM calls by normalised finish reason (a call with several choices counts once per reason).")
		out.SetUnit("{call}")
		own = attrFinishReason
	case mTTFC:
		out.SetName(metricTTFC)
		out.SetDescription("Time to the first chunk of streamed LLM responses, from spans.")
		out.SetUnit("s")
		h := out.SetEmptyHistogram()
		h.SetAggregationTemporality(pmetric.AggregationTemporalityDelta)
		for _, k := range keys {
			p := pts[k]
			dp := h.DataPoints().AppendEmpty()
			c.labelsTo(dp.Attributes(), p.labels, own)
			dp.SetStartTimestamp(start)
			dp.SetTimestamp(now)
			dp.SetCount(p.count)
			dp.SetSum(p.sum)
			dp.ExplicitBounds().FromRaw(ttfcBuckets)
			dp.BucketCounts().FromRaw(p.counts)
		}
		return
	}
	sum := out.SetEmptySum()
	sum.SetIsMonotonic(true)
	sum.SetAggregationTemporality(pmetric.AggregationTemporalityDelta)
	for _, k := range keys {
		p := pts[k]
		dp := sum.DataPoints().AppendEmpty()
		c.labelsTo(dp.Attributes(), p.labels, own)
		dp.SetStartTimestamp(start)
		dp.SetTimestamp(now)
		if m == mCost {
			dp.SetDoubleValue(p.sum)
		} else {
			dp.SetIntValue(p.isum)
		}
	}
}

// labelsTo writes a point's label values under their attribute names.
func (c *llmobsConnector) labelsTo(attrs pcommon.Map, values []string, own string) {
	attrs.EnsureCapacity(len(values))
	i := 0
	for _, name := range usageLabels {
		attrs.PutStr(name, values[i])
		i++
	}
	for _, name := range c.labels {
		attrs.PutStr(name, values[i])
		i++
	}
	if own != "" && i < len(values) {
		attrs.PutStr(own, values[i])
	}
}
