package llmobsprocessor

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// Normalisation maps older and non-OTel GenAI attribute names onto today's semantic conventions, so
// every later step, the span-derived metrics and the dashboards read one set of names. It only fills a
// standard attribute that is absent: what the app sent always wins.

// legacySystems maps deprecated gen_ai.system values to gen_ai.provider.name values; any other
// gen_ai.system value is copied as it is.
var legacySystems = map[string]string{
	"az.ai.inference": "azure.ai.inference",
	"az.ai.openai":    "azure.ai.openai",
	"azure_openai":    "azure.ai.openai",
	"gemini":          "gcp.gemini",
	"vertex_ai":       "gcp.vertex_ai",
	"xai":             "x_ai",
	"mistralai":       "mistral_ai",
	"bedrock":         "aws.bedrock",
	"watsonx":         "ibm.watsonx.ai",
}

// openInferenceProviders maps OpenInference llm.provider / llm.system values to gen_ai.provider.name;
// values not listed are left alone (OpenInference's vocabulary is open-ended).
var openInferenceProviders = map[string]string{
	"openai":     "openai",
	"anthropic":  "anthropic",
	"google":     "gcp.gen_ai",
	"vertexai":   "gcp.vertex_ai",
	"aws":        "aws.bedrock",
	"azure":      "azure.ai.openai",
	"mistralai":  "mistral_ai",
	"xai":        "x_ai",
	"deepseek":   "deepseek",
	"cohere":     "cohere",
	"groq":       "groq",
	"perplexity": "perplexity",
}

const (
	attrProvider      = "gen_ai.provider.name"
	attrSystem        = "gen_ai.system"
	attrOperation     = "gen_ai.operation.name"
	attrConversation  = "gen_ai.conversation.id"
	attrUserID        = "user.id"
	attrSessionID     = "session.id"
	attrOIKind        = "openinference.span.kind"
	attrEnvironment   = "deployment.environment.name"
	attrEnvironmentV1 = "deployment.environment"
)

// renames lists (standard, other spelling) pairs; the first present spelling fills a missing standard
// attribute. Sources: older semconv, Anthropic's cache_creation, OpenLLMetry, OpenInference, Langfuse.
var renames = []struct{ to, from string }{
	{"gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens"},
	{"gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens"},
	{"gen_ai.usage.cache_read.input_tokens", "gen_ai.usage.cache_read_input_tokens"},
	{"gen_ai.usage.cache_write.input_tokens", "gen_ai.usage.cache_creation.input_tokens"},
	{"gen_ai.usage.cache_write.input_tokens", "gen_ai.usage.cache_creation_input_tokens"},
	{"gen_ai.usage.input_tokens", "llm.token_count.prompt"},
	{"gen_ai.usage.output_tokens", "llm.token_count.completion"},
	{"gen_ai.usage.cache_read.input_tokens", "llm.token_count.prompt_details.cache_read"},
	{"gen_ai.usage.cache_write.input_tokens", "llm.token_count.prompt_details.cache_write"},
	{"gen_ai.request.model", "llm.model_name"},
	// Conversation and user identity as other SDKs spell them (Langfuse, OpenLLMetry, OpenInference).
	{attrConversation, "langfuse.session.id"},
	{attrConversation, "traceloop.association.properties.session_id"},
	{attrConversation, attrSessionID},
	{attrUserID, "langfuse.user.id"},
	{attrUserID, "traceloop.association.properties.user_id"},
}

// interesting tells, in one map lookup per attribute, whether normalisation reads a key at all; most
// attributes of most spans are not, so a span that needs nothing costs one pass of lookups.
var interesting = func() map[string]struct{} {
	m := map[string]struct{}{attrSystem: {}, "llm.provider": {}, "llm.system": {}, attrOIKind: {}}
	for _, r := range renames {
		m[r.from] = struct{}{}
	}
	return m
}()

// normalize fills standard GenAI attributes from the other spellings in attrs.
func normalize(attrs pcommon.Map) {
	found := false
	for k := range attrs.All() {
		if _, ok := interesting[k]; ok {
			found = true
			break
		}
	}
	if !found {
		return
	}
	if _, ok := attrs.Get(attrProvider); !ok {
		if v, ok := attrs.Get(attrSystem); ok {
			if mapped, ok := legacySystems[v.Str()]; ok && v.Type() == pcommon.ValueTypeStr {
				attrs.PutStr(attrProvider, mapped)
			} else {
				v.CopyTo(attrs.PutEmpty(attrProvider))
			}
		} else {
			for _, key := range [...]string{"llm.provider", "llm.system"} {
				if v, ok := attrs.Get(key); ok && v.Type() == pcommon.ValueTypeStr {
					if mapped, ok := openInferenceProviders[v.Str()]; ok {
						attrs.PutStr(attrProvider, mapped)
						break
					}
				}
			}
		}
	}
	for _, r := range renames {
		if _, ok := attrs.Get(r.to); ok {
			continue
		}
		if v, ok := attrs.Get(r.from); ok {
			v.CopyTo(attrs.PutEmpty(r.to))
		}
	}
	// OpenInference LLM spans carry no operation name; they are chat calls.
	if _, ok := attrs.Get(attrOperation); !ok {
		if v, ok := attrs.Get(attrOIKind); ok && v.Str() == "LLM" {
			attrs.PutStr(attrOperation, "chat")
		}
	}
}

// normalizeResource fills deployment.environment.name from the pre-1.27 deployment.environment.
func normalizeResource(attrs pcommon.Map) {
	if _, ok := attrs.Get(attrEnvironment); ok {
		return
	}
	if v, ok := attrs.Get(attrEnvironmentV1); ok {
		v.CopyTo(attrs.PutEmpty(attrEnvironment))
	}
}
