package llmobsprocessor

import (
	"context"
	"testing"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/llmobs/otelcol-llmobs/processor/llmobsprocessor/internal/metadata"
)

func TestUserHasher(t *testing.T) {
	h := &userHasher{key: []byte("k1")}
	first := h.hash("alice@example.com")
	tests := []struct {
		name  string
		in    map[string]any
		check func(t *testing.T, got pcommon.Map)
	}{
		{
			name: "user.id becomes u_ and 32 hex digits, stable",
			in:   map[string]any{"user.id": "alice@example.com"},
			check: func(t *testing.T, got pcommon.Map) {
				v, _ := got.Get("user.id")
				if v.Str() != first || !isHashed(v.Str()) {
					t.Errorf("user.id = %q, want %q", v.Str(), first)
				}
			},
		},
		{
			name: "every spelling is hashed, so no raw id survives",
			in: map[string]any{
				"langfuse.user.id": "alice@example.com", "traceloop.association.properties.user_id": "alice@example.com",
				"enduser.id": "alice@example.com", "gen_ai.conversation.id": "conv-1",
			},
			check: func(t *testing.T, got pcommon.Map) {
				for _, k := range []string{"langfuse.user.id", "traceloop.association.properties.user_id", "enduser.id"} {
					if v, _ := got.Get(k); v.Str() != first {
						t.Errorf("%s = %q", k, v.Str())
					}
				}
				if v, _ := got.Get("gen_ai.conversation.id"); v.Str() != "conv-1" {
					t.Errorf("conversation id changed: %q", v.Str())
				}
			},
		},
		{
			name: "an already hashed id is left alone (two collectors in a row)",
			in:   map[string]any{"user.id": first},
			check: func(t *testing.T, got pcommon.Map) {
				if v, _ := got.Get("user.id"); v.Str() != first {
					t.Errorf("hashed twice: %q", v.Str())
				}
			},
		},
		{
			name: "non-string ids are not touched",
			in:   map[string]any{"user.id": int64(42)},
			check: func(t *testing.T, got pcommon.Map) {
				if v, _ := got.Get("user.id"); v.Int() != 42 {
					t.Errorf("user.id = %v", v.AsRaw())
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			attrs := pcommon.NewMap()
			if err := attrs.FromRaw(tt.in); err != nil {
				t.Fatal(err)
			}
			h.attrs(attrs)
			tt.check(t, attrs)
		})
	}
	if other := (&userHasher{key: []byte("k2")}).hash("alice@example.com"); other == first {
		t.Error("the key does not change the hash")
	}
	if isHashed("u_" + "0123456789abcdef0123456789abcdeg") {
		t.Error("non-hex accepted as hashed")
	}
	var off *userHasher
	attrs := pcommon.NewMap()
	attrs.PutStr("user.id", "bob")
	off.attrs(attrs)
	if v, _ := attrs.Get("user.id"); v.Str() != "bob" {
		t.Error("a nil hasher changed the id")
	}
}

type spanSpec struct {
	trace byte
	attrs map[string]any
}

func TestConversationInheritedWithinATrace(t *testing.T) {
	tests := []struct {
		name  string
		spans []spanSpec
		want  []map[string]any // per span: keys that must hold these values ("" = must stay absent)
	}{
		{
			name: "agent run's LLM and tool spans get the run's conversation and user",
			spans: []spanSpec{
				{1, map[string]any{"gen_ai.operation.name": "chat"}},
				{1, map[string]any{"gen_ai.operation.name": "execute_tool"}},
				{1, map[string]any{"gen_ai.operation.name": "invoke_agent", "gen_ai.conversation.id": "c1", "user.id": "u1"}},
			},
			want: []map[string]any{
				{"gen_ai.conversation.id": "c1", "user.id": "u1"},
				{"gen_ai.conversation.id": "c1", "user.id": "u1"},
				{"gen_ai.conversation.id": "c1"},
			},
		},
		{
			name: "MCP spans inherit; non-GenAI spans and other traces do not",
			spans: []spanSpec{
				{1, map[string]any{"langfuse.session.id": "c1"}},
				{1, map[string]any{"mcp.method.name": "tools/call"}},
				{1, map[string]any{"http.route": "/chat"}},
				{2, map[string]any{"gen_ai.operation.name": "chat"}},
			},
			want: []map[string]any{
				{"gen_ai.conversation.id": "c1"},
				{"gen_ai.conversation.id": "c1"},
				{"gen_ai.conversation.id": ""},
				{"gen_ai.conversation.id": ""},
			},
		},
		{
			name: "a span's own value wins; two values in one trace are ambiguous: nothing inherited",
			spans: []spanSpec{
				{1, map[string]any{"gen_ai.operation.name": "chat", "gen_ai.conversation.id": "c1"}},
				{1, map[string]any{"gen_ai.operation.name": "chat", "gen_ai.conversation.id": "c2"}},
				{1, map[string]any{"gen_ai.operation.name": "chat"}},
			},
			want: []map[string]any{
				{"gen_ai.conversation.id": "c1"},
				{"gen_ai.conversation.id": "c2"},
				{"gen_ai.conversation.id": ""},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := createDefaultConfig().(*Config)
			cfg.PII.Mode = ModeOff
			tel := componenttest.NewTelemetry()
			t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
			sink, consume := newTestTraces(t, cfg, tel)
			td := ptrace.NewTraces()
			spans := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans()
			for _, s := range tt.spans {
				span := spans.AppendEmpty()
				span.SetTraceID(pcommon.TraceID{s.trace})
				if err := span.Attributes().FromRaw(s.attrs); err != nil {
					t.Fatal(err)
				}
			}
			consume(td)
			got := sink.AllTraces()[0].ResourceSpans().At(0).ScopeSpans().At(0).Spans()
			for i, want := range tt.want {
				attrs := got.At(i).Attributes()
				for k, v := range want {
					have, ok := attrs.Get(k)
					switch {
					case v == "" && ok:
						t.Errorf("span %d: %s = %q, want absent", i, k, have.Str())
					case v != "" && (!ok || have.Str() != v):
						t.Errorf("span %d: %s = %q, want %q", i, k, have.Str(), v)
					}
				}
			}
		})
	}
}

func TestHashUserIDsSettingOnSpansEventsResourcesAndLogs(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.Privacy = PrivacyConfig{HashUserIDs: true, HashKey: "secret"}
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	sink, consume := newTestTraces(t, cfg, tel)
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("enduser.id", "carol")
	span := rs.ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	span.Attributes().PutStr("gen_ai.operation.name", "chat")
	span.Attributes().PutStr("traceloop.association.properties.user_id", "jane.doe@example.com")
	span.Events().AppendEmpty().Attributes().PutStr("user.id", "jane.doe@example.com")
	consume(td)

	want := (&userHasher{key: []byte("secret")}).hash("jane.doe@example.com")
	out := sink.AllTraces()[0].ResourceSpans().At(0)
	s := out.ScopeSpans().At(0).Spans().At(0)
	for _, attrs := range []pcommon.Map{s.Attributes(), s.Events().At(0).Attributes()} {
		if v, _ := attrs.Get("user.id"); v.Str() != want {
			t.Errorf("user.id = %q, want %q (hashed, not masked as an e-mail)", v.Str(), want)
		}
	}
	if v, _ := s.Attributes().Get("traceloop.association.properties.user_id"); v.Str() != want {
		t.Errorf("the source spelling kept the raw id: %q", v.Str())
	}
	if v, _ := out.Resource().Attributes().Get("enduser.id"); !isHashed(v.Str()) {
		t.Errorf("resource enduser.id = %q", v.Str())
	}

	logSink := new(consumertest.LogsSink)
	lp, err := NewFactory().CreateLogs(context.Background(), processortest.NewNopSettings(metadata.Type), cfg, logSink)
	if err != nil {
		t.Fatal(err)
	}
	ld := plog.NewLogs()
	lr := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	lr.Attributes().PutStr("langfuse.user.id", "jane.doe@example.com")
	if err := lp.ConsumeLogs(context.Background(), ld); err != nil {
		t.Fatal(err)
	}
	got := logSink.AllLogs()[0].ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Attributes()
	for _, k := range []string{"user.id", "langfuse.user.id"} {
		if v, _ := got.Get(k); v.Str() != want {
			t.Errorf("log %s = %q, want %q", k, v.Str(), want)
		}
	}
}
