// Package llmobsprocessor is the llmobs collector's LLM-specific processor: in one pass per span,
// span event and log record it normalises older GenAI attribute names onto today's semantic
// conventions, prices LLM calls from a genai-prices table, masks personal data and secrets, and
// keeps every value within the stack's end-to-end size budget (cutting visibly, never silently).
//
// It replaces ~3,700 generated OTTL statements: the rules are code and data (a price file, a list
// of detectors), so the collector config a user reads is a dozen lines.
package llmobsprocessor // import "github.com/llmobs/otelcol-llmobs/processor/llmobsprocessor"
