package llmobsprocessor

import (
	"sync"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// Bounded metric labels. Per-feature cost (by agent, by an app's own llmobs.feature attribute, ...) is a
// label on the span-derived metrics, and a label with unbounded values would blow up Prometheus. The
// rendered config therefore sends the spans the metric connectors read through a second instance of
// this processor whose only job is this: each listed attribute keeps its first max_values distinct
// values, and any later value becomes "other" (counted: otelcol_llmobs_label_values_folded). The spans
// stored in Tempo are a separate copy and keep their values.

// LabelsConfig lists the attributes that become metric labels and caps their distinct values.
type LabelsConfig struct {
	Attributes []string `mapstructure:"attributes"`
	MaxValues  int      `mapstructure:"max_values"`
}

// otherValue replaces values beyond the cap.
const otherValue = "other"

type labeler struct {
	max  int
	keys []string
	mu   sync.RWMutex
	seen map[string]map[string]struct{} // attribute -> values admitted so far
}

func newLabeler(cfg LabelsConfig) *labeler {
	if len(cfg.Attributes) == 0 {
		return nil
	}
	l := &labeler{max: cfg.MaxValues, keys: cfg.Attributes, seen: map[string]map[string]struct{}{}}
	for _, k := range cfg.Attributes {
		l.seen[k] = map[string]struct{}{}
	}
	return l
}

// fold bounds the listed attributes of one span; it returns how many values became "other".
func (l *labeler) fold(attrs pcommon.Map) int64 {
	if l == nil {
		return 0
	}
	var folded int64
	for _, key := range l.keys {
		v, ok := attrs.Get(key)
		if !ok {
			continue
		}
		value := v.AsString()
		if !l.admit(key, value) {
			attrs.PutStr(key, otherValue)
			folded++
		}
	}
	return folded
}

// admit reports whether value may stay a label value of key (it was seen before, or there is room).
func (l *labeler) admit(key, value string) bool {
	if value == otherValue {
		return true
	}
	l.mu.RLock()
	_, known := l.seen[key][value]
	full := len(l.seen[key]) >= l.max
	l.mu.RUnlock()
	if known {
		return true
	}
	if full {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	values := l.seen[key]
	if _, known := values[value]; known {
		return true
	}
	if len(values) >= l.max {
		return false
	}
	values[value] = struct{}{}
	return true
}
