package llmobsprocessor

import (
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// removedBytes reads N back from a cut value's "…[truncated N bytes]".
func removedBytes(t *testing.T, s string) int {
	t.Helper()
	i := strings.LastIndex(s, truncatedMarker)
	if i < 0 || !strings.HasSuffix(s, " bytes]") {
		t.Fatalf("no truncation marker at the end of %q", s[max(0, len(s)-60):])
	}
	n, err := strconv.Atoi(s[i+len(truncatedMarker) : len(s)-len(" bytes]")])
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCutAtTheLimits(t *testing.T) {
	const limit = 1024
	for _, size := range []int{limit - 1, limit, limit + 1, 10 * limit} {
		s := strings.Repeat("a", size)
		got, removed := cut(s, limit)
		if size <= limit {
			if got != s || removed != 0 {
				t.Fatalf("size %d: a value within the limit was changed", size)
			}
			continue
		}
		if len(got) > limit {
			t.Fatalf("size %d: cut value is %d bytes, over the %d limit", size, len(got), limit)
		}
		if n := removedBytes(t, got); n != removed || n != size-strings.Index(got, truncatedMarker) {
			t.Fatalf("size %d: marker says %d removed, returned %d", size, n, removed)
		}
	}
}

func TestCutKeepsUTF8Whole(t *testing.T) {
	s := strings.Repeat("가", 1000) // 3 bytes each
	for limit := 256; limit < 270; limit++ {
		got, _ := cut(s, limit)
		if !utf8.ValidString(got) || len(got) > limit {
			t.Fatalf("limit %d: invalid UTF-8 or too long (%d)", limit, len(got))
		}
	}
}

func TestSpanBudget(t *testing.T) {
	l := limiter{maxValue: 4096, maxRecord: 10000}
	span := ptrace.NewSpan()
	attrs := span.Attributes()
	attrs.PutStr("gen_ai.request.model", "gpt-4o")
	attrs.PutStr("gen_ai.input.messages", strings.Repeat("i", 9000))  // over the value cap
	attrs.PutStr("gen_ai.output.messages", strings.Repeat("o", 4000)) // within it
	attrs.PutInt("gen_ai.usage.input_tokens", 123)                    // never touched
	msgs := attrs.PutEmptySlice("gen_ai.system_instructions")         // structured: leaves count
	msgs.AppendEmpty().SetEmptyMap().PutStr("content", strings.Repeat("s", 3000))
	ev := span.Events().AppendEmpty()
	ev.Attributes().PutStr("exception.message", strings.Repeat("e", 100))

	values, removed := l.span(span)
	total := 0
	for _, lf := range collectMap(attrs, collectMap(ev.Attributes(), nil)) {
		total += lf.n
	}
	if total > l.maxRecord {
		t.Fatalf("record is %d bytes after the cut, budget %d", total, l.maxRecord)
	}
	if values < 2 || removed <= 0 {
		t.Fatalf("values=%d removed=%d, want the two largest values cut", values, removed)
	}
	for _, k := range []string{"gen_ai.request.model"} {
		if v, _ := attrs.Get(k); v.Str() != "gpt-4o" {
			t.Fatalf("short value %s was cut: %q", k, v.Str())
		}
	}
	if v, _ := ev.Attributes().Get("exception.message"); len(v.Str()) != 100 {
		t.Fatal("short event value was cut")
	}
	if v, _ := attrs.Get("gen_ai.usage.input_tokens"); v.Int() != 123 {
		t.Fatal("int attribute changed")
	}
	in, _ := attrs.Get("gen_ai.input.messages")
	if len(in.Str()) > l.maxValue {
		t.Fatalf("value over the cap: %d", len(in.Str()))
	}
	removedBytes(t, in.Str())
}

func TestLogBudgetAndWithinBudgetUntouched(t *testing.T) {
	l := limiter{maxValue: 2048, maxRecord: 4096}
	lr := plog.NewLogRecord()
	lr.Body().SetStr(strings.Repeat("b", 2048))
	lr.Attributes().PutStr("gen_ai.prompt", strings.Repeat("p", 2048))
	if v, b := l.logRecord(lr); v != 0 || b != 0 {
		t.Fatalf("a record exactly at the budget was cut (%d values, %d bytes)", v, b)
	}
	lr.Attributes().PutStr("x", "y")
	v, _ := l.logRecord(lr)
	if v == 0 {
		t.Fatal("a record one value over the budget was not cut")
	}
	if got := len(lr.Body().Str()) + lr.Attributes().Len(); got == 0 {
		t.Fatal("unreachable")
	}
	body := lr.Body().Str()
	removedBytes(t, body)
}

func TestNoLimits(t *testing.T) {
	span := ptrace.NewSpan()
	span.Attributes().PutStr("a", strings.Repeat("x", 1<<20))
	if v, b := (limiter{}).span(span); v != 0 || b != 0 {
		t.Fatal("cut with limits off")
	}
}

func TestCopyEventName(t *testing.T) {
	lr := plog.NewLogRecord()
	lr.SetEventName("gen_ai.client.inference.operation.details")
	copyEventName(lr)
	if v, _ := lr.Attributes().Get("event.name"); v.Str() != "gen_ai.client.inference.operation.details" {
		t.Fatalf("event.name = %q", v.Str())
	}
	lr2 := plog.NewLogRecord()
	lr2.SetEventName("a")
	lr2.Attributes().PutStr("event.name", "b")
	copyEventName(lr2)
	if v, _ := lr2.Attributes().Get("event.name"); v.Str() != "b" {
		t.Fatal("the app's event.name was overwritten")
	}
	lr3 := plog.NewLogRecord()
	copyEventName(lr3)
	if lr3.Attributes().Len() != 0 {
		t.Fatal("event.name added to a record without an event name")
	}
}

var _ = pcommon.NewMap
