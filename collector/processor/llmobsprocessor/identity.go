package llmobsprocessor

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Identity: who is talking (user.id) and in which conversation (gen_ai.conversation.id). Both are
// identifiers, never masked as PII; user ids may be replaced by a keyed hash for teams that must not
// store them, and the spans of one agent run inherit the run's conversation when only some carry it.

// userIDKeys are the attributes that hold a user id: the convention's and the other SDKs' spellings
// normalisation reads (each must be hashed, or the raw id survives in the source attribute).
var userIDKeys = [...]string{attrUserID, "enduser.id", "langfuse.user.id", "traceloop.association.properties.user_id"}

// hashedPrefix marks a hashed id: "u_" and 32 hex digits (HMAC-SHA256 cut to 128 bits). A value
// already in this form is left alone, so hashing twice (two collectors in a row) changes nothing.
const hashedPrefix = "u_"

const hashedLen = len(hashedPrefix) + 32

// userHasher replaces user ids by HMAC-SHA256(key, id): stable (the same user is one row on the
// dashboards) and not reversible by hashing guessed ids without the key.
type userHasher struct{ key []byte }

func (h *userHasher) hash(id string) string {
	if isHashed(id) {
		return id
	}
	mac := hmac.New(sha256.New, h.key)
	mac.Write([]byte(id))
	return hashedPrefix + hex.EncodeToString(mac.Sum(nil)[:16])
}

func isHashed(v string) bool {
	if len(v) != hashedLen || v[:len(hashedPrefix)] != hashedPrefix {
		return false
	}
	for _, c := range v[len(hashedPrefix):] {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// attrs hashes every user id string in attrs; a nil hasher (the setting off) does nothing.
func (h *userHasher) attrs(attrs pcommon.Map) {
	if h == nil {
		return
	}
	for _, k := range userIDKeys {
		if v, ok := attrs.Get(k); ok && v.Type() == pcommon.ValueTypeStr {
			v.SetStr(h.hash(v.Str()))
		}
	}
}

// inheritedKeys are filled on the GenAI spans of a trace from another span of the same trace.
var inheritedKeys = [...]string{attrConversation, attrUserID}

// identities remembers, per trace of one batch, the conversation and user another span carried.
type identities map[pcommon.TraceID]*[len(inheritedKeys)]string

// conflict marks a trace whose spans name two different values: nothing is inherited then.
const conflict = "\x00conflict"

// note records span's identity attributes; the map is created on the first span that has one, so a
// batch without conversations costs two map lookups per span.
func (ids *identities) note(span ptrace.Span) {
	attrs := span.Attributes()
	for i, k := range inheritedKeys {
		v, ok := attrs.Get(k)
		if !ok || v.Type() != pcommon.ValueTypeStr || v.Str() == "" {
			continue
		}
		if *ids == nil {
			*ids = identities{}
		}
		got := (*ids)[span.TraceID()]
		if got == nil {
			got = new([len(inheritedKeys)]string)
			(*ids)[span.TraceID()] = got
		}
		switch got[i] {
		case "":
			got[i] = v.Str()
		case v.Str(), conflict:
		default:
			got[i] = conflict
		}
	}
}

// fill gives GenAI and MCP spans without a conversation or user the one their trace carries. Spans of
// one agent run usually arrive in one batch (an SDK exports a run's spans together); spans exported in
// another batch are not filled, which is why llmobs.conversation() stamps every span in the SDK too.
func (ids identities) fill(span ptrace.Span) {
	got := ids[span.TraceID()]
	if got == nil {
		return
	}
	attrs := span.Attributes()
	if _, ok := attrs.Get(attrOperation); !ok {
		if _, ok := attrs.Get(attrMCPMethod); !ok {
			return
		}
	}
	for i, k := range inheritedKeys {
		if got[i] == "" || got[i] == conflict {
			continue
		}
		if _, ok := attrs.Get(k); !ok {
			attrs.PutStr(k, got[i])
		}
	}
}

const attrMCPMethod = "mcp.method.name"
