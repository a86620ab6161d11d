package llmobsprocessor

import (
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		name string
		in   map[string]any
		want map[string]any // keys that must hold these values afterwards
		not  []string       // keys that must stay absent
	}{
		{
			name: "legacy gen_ai.system value is mapped",
			in:   map[string]any{"gen_ai.system": "az.ai.openai"},
			want: map[string]any{"gen_ai.provider.name": "azure.ai.openai", "gen_ai.system": "az.ai.openai"},
		},
		{
			name: "unknown gen_ai.system value is copied",
			in:   map[string]any{"gen_ai.system": "acme"},
			want: map[string]any{"gen_ai.provider.name": "acme"},
		},
		{
			name: "the app's provider wins",
			in:   map[string]any{"gen_ai.system": "gemini", "gen_ai.provider.name": "gcp.vertex_ai"},
			want: map[string]any{"gen_ai.provider.name": "gcp.vertex_ai"},
		},
		{
			name: "gen_ai.system beats OpenInference llm.provider",
			in:   map[string]any{"gen_ai.system": "openai", "llm.provider": "anthropic"},
			want: map[string]any{"gen_ai.provider.name": "openai"},
		},
		{
			name: "OpenInference llm.provider and tokens",
			in: map[string]any{
				"llm.provider": "google", "llm.model_name": "gemini-2.5-pro", "openinference.span.kind": "LLM",
				"llm.token_count.prompt": int64(10), "llm.token_count.completion": int64(5),
				"llm.token_count.prompt_details.cache_read": int64(2),
			},
			want: map[string]any{
				"gen_ai.provider.name": "gcp.gen_ai", "gen_ai.request.model": "gemini-2.5-pro", "gen_ai.operation.name": "chat",
				"gen_ai.usage.input_tokens": int64(10), "gen_ai.usage.output_tokens": int64(5),
				"gen_ai.usage.cache_read.input_tokens": int64(2),
			},
		},
		{
			name: "OpenInference llm.system used when llm.provider is unknown",
			in:   map[string]any{"llm.provider": "somewhere", "llm.system": "anthropic"},
			want: map[string]any{"gen_ai.provider.name": "anthropic"},
		},
		{
			name: "unlisted OpenInference provider is not guessed",
			in:   map[string]any{"llm.provider": "somewhere"},
			not:  []string{"gen_ai.provider.name"},
		},
		{
			name: "prompt/completion tokens and the first cache_creation spelling",
			in: map[string]any{
				"gen_ai.usage.prompt_tokens": int64(100), "gen_ai.usage.completion_tokens": 7.0,
				"gen_ai.usage.cache_creation_input_tokens": int64(4), "gen_ai.usage.cache_creation.input_tokens": int64(3),
			},
			want: map[string]any{
				"gen_ai.usage.input_tokens": int64(100), "gen_ai.usage.output_tokens": 7.0,
				"gen_ai.usage.cache_write.input_tokens": int64(3),
			},
		},
		{
			name: "standard token counts win",
			in:   map[string]any{"gen_ai.usage.prompt_tokens": int64(100), "gen_ai.usage.input_tokens": int64(1)},
			want: map[string]any{"gen_ai.usage.input_tokens": int64(1)},
		},
		{
			name: "operation name kept; only LLM spans become chat",
			in:   map[string]any{"openinference.span.kind": "TOOL"},
			not:  []string{"gen_ai.operation.name"},
		},
		{
			name: "conversation and user from Langfuse, OpenLLMetry, OpenInference",
			in:   map[string]any{"langfuse.session.id": "s-1", "traceloop.association.properties.user_id": "u-9"},
			want: map[string]any{"gen_ai.conversation.id": "s-1", "user.id": "u-9"},
		},
		{
			name: "OpenInference session.id is a conversation id",
			in:   map[string]any{"session.id": "abc"},
			want: map[string]any{"gen_ai.conversation.id": "abc", "session.id": "abc"},
		},
		{
			name: "nothing to do leaves the map alone",
			in:   map[string]any{"http.route": "/x", "gen_ai.request.model": "gpt-4o"},
			want: map[string]any{"http.route": "/x", "gen_ai.request.model": "gpt-4o"},
			not:  []string{"gen_ai.provider.name", "gen_ai.operation.name"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			attrs := pcommon.NewMap()
			if err := attrs.FromRaw(tt.in); err != nil {
				t.Fatal(err)
			}
			before := attrs.Len()
			normalize(attrs)
			for k, want := range tt.want {
				got, ok := attrs.Get(k)
				if !ok {
					t.Errorf("%s missing", k)
					continue
				}
				if got.AsRaw() != want {
					t.Errorf("%s = %#v, want %#v", k, got.AsRaw(), want)
				}
			}
			for _, k := range tt.not {
				if _, ok := attrs.Get(k); ok {
					t.Errorf("%s set, want absent", k)
				}
			}
			if len(tt.want) == len(tt.in) && tt.not != nil && attrs.Len() != before {
				t.Errorf("map grew from %d to %d", before, attrs.Len())
			}
		})
	}
}

func TestNormalizeResource(t *testing.T) {
	attrs := pcommon.NewMap()
	attrs.PutStr("deployment.environment", "prod")
	normalizeResource(attrs)
	if v, _ := attrs.Get("deployment.environment.name"); v.Str() != "prod" {
		t.Fatalf("deployment.environment.name = %q", v.Str())
	}
	attrs.PutStr("deployment.environment", "other")
	normalizeResource(attrs)
	if v, _ := attrs.Get("deployment.environment.name"); v.Str() != "prod" {
		t.Fatalf("the app's deployment.environment.name was overwritten: %q", v.Str())
	}
}
