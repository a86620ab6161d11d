package llmobsprocessor

import (
	"errors"
	"fmt"
	"regexp"

	"github.com/llmobs/otelcol-llmobs/processor/llmobsprocessor/internal/cost"
	"github.com/llmobs/otelcol-llmobs/processor/llmobsprocessor/internal/pii"
)

// PII modes.
const (
	ModeMask = "mask" // replace detected values with typed placeholders
	ModeDrop = "drop" // delete GenAI content, mask everything else
	ModeOff  = "off"  // leave text alone
)

// Config is the processor's configuration (a few keys: the rules themselves are code and data).
type Config struct {
	Prices PricesConfig `mapstructure:"prices"`
	PII    PIIConfig    `mapstructure:"pii"`
	Limits LimitsConfig `mapstructure:"limits"`
	// Privacy is what the processor does to identifiers (llmobs.yaml `privacy`).
	Privacy PrivacyConfig `mapstructure:"privacy"`
	// Labels bounds the attributes that become labels of the span-derived metrics (labels.go).
	Labels LabelsConfig `mapstructure:"labels"`
}

// PrivacyConfig: identifiers are never masked as PII, but teams that must not store user ids can have
// them replaced by a keyed hash (the same user is still one row on the dashboards).
type PrivacyConfig struct {
	// HashUserIDs replaces user.id (and the other SDKs' spellings) by "u_" + 32 hex digits of
	// HMAC-SHA256(HashKey, id).
	HashUserIDs bool `mapstructure:"hash_user_ids"`
	// HashKey keys the hash, so ids cannot be recovered by hashing guesses; rendered as an
	// environment-variable reference, never written into the config.
	HashKey string `mapstructure:"hash_key"`
}

// PricesConfig says where the price table is and which prices llmobs.yaml overrides.
type PricesConfig struct {
	// File is the JSON price table `llmobs render` writes from genai-prices; empty turns pricing off.
	File string `mapstructure:"file"`
	// Overrides win over the table; the first match is used.
	Overrides []cost.Override `mapstructure:"overrides"`
}

// PIIConfig selects the masking mode and the user's own patterns.
type PIIConfig struct {
	Mode     string        `mapstructure:"mode"`
	Patterns []pii.Pattern `mapstructure:"patterns"`
}

// LimitsConfig is the end-to-end size budget: what fits is never cut downstream, what does not is cut
// here, with a visible marker and a counter.
type LimitsConfig struct {
	// MaxValueBytes caps one string value (a prompt, a completion). 0 turns the cap off.
	MaxValueBytes int `mapstructure:"max_value_bytes"`
	// MaxRecordBytes caps the string values of one span (with its events) or log record together.
	MaxRecordBytes int `mapstructure:"max_record_bytes"`
}

// Validate refuses a config the processor cannot run with, in one line naming the key and the fix.
func (c *Config) Validate() error {
	var errs []error
	switch c.PII.Mode {
	case ModeMask, ModeDrop, ModeOff:
	default:
		errs = append(errs, fmt.Errorf("pii.mode %q is not one of mask, drop, off", c.PII.Mode))
	}
	for i, p := range c.PII.Patterns {
		if err := checkPattern(p); err != nil {
			errs = append(errs, fmt.Errorf("pii.patterns[%d]: %w", i, err))
		}
	}
	if c.Limits.MaxValueBytes < 0 || (c.Limits.MaxValueBytes > 0 && c.Limits.MaxValueBytes < minValueBytes) {
		errs = append(errs, fmt.Errorf("limits.max_value_bytes %d: use 0 (no cap) or at least %d", c.Limits.MaxValueBytes, minValueBytes))
	}
	if c.Limits.MaxRecordBytes < 0 || (c.Limits.MaxRecordBytes > 0 && c.Limits.MaxRecordBytes < c.Limits.MaxValueBytes) {
		errs = append(errs, fmt.Errorf("limits.max_record_bytes %d: use 0 (no cap) or at least limits.max_value_bytes (%d)", c.Limits.MaxRecordBytes, c.Limits.MaxValueBytes))
	}
	if c.Privacy.HashUserIDs && len(c.Privacy.HashKey) < minHashKeyBytes {
		errs = append(errs, fmt.Errorf("privacy.hash_key: hash_user_ids needs a key of at least %d bytes (an unkeyed hash of a user id can be reversed by hashing guesses): set LLMOBS_USER_ID_HASH_KEY (`llmobs up` generates one into the bundle's .env)", minHashKeyBytes))
	}
	if len(c.Labels.Attributes) > 0 && c.Labels.MaxValues < 1 {
		errs = append(errs, fmt.Errorf("labels.max_values %d: give at least 1 (values beyond it become %q)", c.Labels.MaxValues, otherValue))
	}
	for i, a := range c.Labels.Attributes {
		if a == "" {
			errs = append(errs, fmt.Errorf("labels.attributes[%d] is empty: name a span attribute such as gen_ai.agent.name", i))
		}
	}
	for i, o := range c.Prices.Overrides {
		if err := checkOverride(o); err != nil {
			errs = append(errs, fmt.Errorf("prices.overrides[%d]: %w", i, err))
		}
	}
	return errors.Join(errs...)
}

// minHashKeyBytes is the shortest user-id hash key accepted (llmobs generates 32 random bytes).
const minHashKeyBytes = 16

// minValueBytes leaves room for the truncation marker and some content.
const minValueBytes = 256

var patternName = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)

// checkPattern is the same check `llmobs` runs when settings load: a name for the placeholder and RE2.
func checkPattern(p pii.Pattern) error {
	if !patternName.MatchString(p.Name) {
		return fmt.Errorf("name %q: use capitals, digits and _ (it becomes the placeholder [%s])", p.Name, p.Name)
	}
	if p.Regex == "" {
		return fmt.Errorf("%s: empty regex: write a pattern such as 'EMP-[0-9]{6}'", p.Name)
	}
	if _, err := regexp.Compile(p.Regex); err != nil {
		return fmt.Errorf("%s: invalid RE2 regex: %w", p.Name, err)
	}
	return nil
}

func checkOverride(o cost.Override) error {
	switch {
	case o.Provider == "" || o.Model == "":
		return errors.New("provider and model are required")
	case o.Match != "" && o.Match != "equals" && o.Match != "starts_with":
		return fmt.Errorf("match %q is not one of equals, starts_with", o.Match)
	case o.Input < 0 || o.Output < 0 || (o.CacheRead != nil && *o.CacheRead < 0) || (o.CacheWrite != nil && *o.CacheWrite < 0):
		return errors.New("prices must not be negative")
	}
	return nil
}
