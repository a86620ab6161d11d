package llmobsprocessor

import (
	"path/filepath"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/llmobs/otelcol-llmobs/processor/llmobsprocessor/internal/cost"
	"github.com/llmobs/otelcol-llmobs/processor/llmobsprocessor/internal/metadata"
	"github.com/llmobs/otelcol-llmobs/processor/llmobsprocessor/internal/pii"
)

func loadConfig(t *testing.T, name string) (*Config, error) {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	id := component.NewID(metadata.Type)
	if name != "" {
		id = component.NewIDWithName(metadata.Type, name)
	}
	sub, err := cm.Sub(id.String())
	if err != nil {
		t.Fatal(err)
	}
	cfg := createDefaultConfig().(*Config)
	if err := sub.Unmarshal(cfg); err != nil {
		return nil, err
	}
	return cfg, confmap.Validate(cfg)
}

func TestConfig(t *testing.T) {
	def, err := loadConfig(t, "")
	if err != nil {
		t.Fatal(err)
	}
	if def.PII.Mode != ModeMask || def.Prices.File != "" || def.Limits.MaxValueBytes != 512*1024 {
		t.Fatalf("defaults: %+v", def)
	}
	full, err := loadConfig(t, "full")
	if err != nil {
		t.Fatal(err)
	}
	readPrice := 0.1
	want := Config{
		Prices: PricesConfig{File: "testdata/prices.json", Overrides: []cost.Override{
			{Provider: "acme", Model: "acme-1", Input: 1.5, Output: 2},
			{Provider: "acme", Model: "acme-", Match: "starts_with", Input: 1, Output: 1, CacheRead: &readPrice},
		}},
		PII:    PIIConfig{Mode: ModeDrop, Patterns: []pii.Pattern{{Name: "EMPLOYEE_ID", Regex: "EMP-[0-9]{6}"}}},
		Limits: LimitsConfig{MaxValueBytes: 4096, MaxRecordBytes: 65536},
	}
	if full.PII.Mode != want.PII.Mode || len(full.Prices.Overrides) != 2 || *full.Prices.Overrides[1].CacheRead != readPrice ||
		full.Prices.Overrides[1].Match != "starts_with" || full.PII.Patterns[0] != want.PII.Patterns[0] || full.Limits != want.Limits {
		t.Fatalf("full config:\n got %+v\nwant %+v", *full, want)
	}
}

func TestConfigRefusesBadInput(t *testing.T) {
	tests := map[string]string{
		"bad_mode":     `pii.mode "hide" is not one of mask, drop, off`,
		"bad_pattern":  "pii.patterns[0]: ACCOUNT: invalid RE2 regex",
		"bad_name":     `pii.patterns[0]: name "account"`,
		"bad_limits":   "limits.max_record_bytes 1024",
		"bad_override": `prices.overrides[0]: match "regex"`,
		"unknown_key":  "invalid keys: mask",
	}
	for name, want := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := loadConfig(t, name)
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("error %v, want it to contain %q", err, want)
			}
			if name != "unknown_key" && strings.Contains(err.Error(), "\n") { // that one is confmap's own message
				t.Fatalf("error spans several lines: %q", err)
			}
		})
	}
}

func TestHashingUserIDsNeedsAKey(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.Privacy = PrivacyConfig{HashUserIDs: true}
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "LLMOBS_USER_ID_HASH_KEY") {
		t.Fatalf("an unkeyed user-id hash was accepted: %v", err)
	}
	cfg.Privacy.HashKey = strings.Repeat("k", minHashKeyBytes)
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
}
