// Package cost prices LLM-call spans from the genai-prices table that `llmobs render`
// exports (stack/prices.py documents the file and the semantics; this package must give
// what genai_prices.calc_price gives, and the parity test checks every model it knows).
//
// Per span: the provider and model are resolved once per distinct (provider attribute,
// model) pair and kept in a bounded cache, so a priced span costs one pass over its
// attributes, one map lookup and a few multiplications, with no allocation besides the
// attribute it writes.
package cost

import (
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// Attribute names (stack/names.py is the source of truth; the parity test compares them).
const (
	attrProvider      = "gen_ai.provider.name"
	attrOperation     = "gen_ai.operation.name"
	attrRequestModel  = "gen_ai.request.model"
	attrResponseModel = "gen_ai.response.model"
	attrInput         = "gen_ai.usage.input_tokens"
	attrOutput        = "gen_ai.usage.output_tokens"
	attrCacheRead     = "gen_ai.usage.cache_read.input_tokens"
	attrCacheWrite    = "gen_ai.usage.cache_write.input_tokens"

	// CostAttr is the span's price in US dollars (double).
	CostAttr = "llmobs.cost.usd"
	// UnpricedAttr flags an LLM call no price is known for (bool true).
	UnpricedAttr = "llmobs.cost.unpriced"
	costPrefix   = "llmobs.cost."
)

// aggregateOperations are agent/workflow spans whose usage sums their LLM calls (priced themselves).
var aggregateOperations = [...]string{"invoke_agent", "invoke_workflow", "create_agent"}

// Override is a price from llmobs.yaml `prices:` (USD per million tokens) that wins over the table.
type Override struct {
	Provider   string   `mapstructure:"provider"`
	Model      string   `mapstructure:"model"`
	Match      string   `mapstructure:"match"` // equals (default) | starts_with
	Input      float64  `mapstructure:"input"`
	Output     float64  `mapstructure:"output"`
	CacheRead  *float64 `mapstructure:"cache_read"`
	CacheWrite *float64 `mapstructure:"cache_write"`
}

// Result says what Annotate did to a span.
type Result int

const (
	// Skipped: not an LLM call with token counts (or an agent/workflow span); nothing written.
	Skipped Result = iota
	// Priced: llmobs.cost.usd written.
	Priced
	// Unpriced: llmobs.cost.unpriced = true written.
	Unpriced
)

// Table is the loaded price table. It is safe for concurrent use.
type Table struct {
	providers []*provider
	byID      map[string]*provider
	names     map[string]*provider // gen_ai.provider.name values (semconv) -> provider
	overrides []override
	version   string

	cache resolveCache
	now   func() time.Time // for spans without a start time, like calc_price(timestamp=None)
}

// Version is the genai-prices version the table was exported from.
func (t *Table) Version() string { return t.version }

// Counts are the numbers of providers and models in the table (for the start-up log line).
func (t *Table) Counts() (providers, models int) {
	for _, p := range t.providers {
		models += len(p.models)
	}
	return len(t.providers), models
}

// usage holds a span's token counts; ok is false when one of them is not a valid count.
type usage struct {
	in, cacheRead, cacheWrite, out float64
	ok                             bool
}

// Annotate prices one span from its attributes and start time: it removes any llmobs.cost.*
// attribute the span came with (an app cannot forge a cost) and, for an LLM call with token
// counts, writes llmobs.cost.usd or llmobs.cost.unpriced = true.
func (t *Table) Annotate(attrs pcommon.Map, start pcommon.Timestamp) Result {
	var (
		// Only strings and numbers are kept from the pass: Values are invalid after RemoveIf.
		key                 = cacheKey{kind: providerAbsent}
		isAggregate         bool
		hasTokens, hasOurs  bool
		model, requestModel string // gen_ai.response.model, else gen_ai.request.model
		u                   = usage{ok: true}
	)
	for k, v := range attrs.All() {
		switch k {
		case attrProvider:
			if v.Type() == pcommon.ValueTypeStr {
				key.kind, key.provider = providerString, v.Str()
			} else {
				key.kind = providerOther
			}
		case attrResponseModel:
			if v.Type() == pcommon.ValueTypeStr && v.Str() != "" {
				model = v.Str()
			}
		case attrRequestModel:
			if v.Type() == pcommon.ValueTypeStr {
				requestModel = v.Str()
			}
		case attrOperation:
			isAggregate = aggregate(v)
		case attrInput:
			hasTokens = true
			u.in = count(v, &u.ok)
		case attrOutput:
			hasTokens = true
			u.out = count(v, &u.ok)
		case attrCacheRead:
			u.cacheRead = count(v, &u.ok)
		case attrCacheWrite:
			u.cacheWrite = count(v, &u.ok)
		default:
			if strings.HasPrefix(k, costPrefix) {
				hasOurs = true
			}
		}
	}
	if hasOurs {
		attrs.RemoveIf(isOurs)
	}
	if !hasTokens || isAggregate {
		return Skipped
	}
	if model == "" {
		model = requestModel
	}
	key.model = model
	cost, ok := t.price(key, u, start)
	if !ok {
		attrs.PutBool(UnpricedAttr, true)
		return Unpriced
	}
	attrs.PutDouble(CostAttr, cost)
	return Priced
}

func isOurs(k string, _ pcommon.Value) bool { return strings.HasPrefix(k, costPrefix) }

func aggregate(op pcommon.Value) bool {
	if op.Type() != pcommon.ValueTypeStr {
		return false
	}
	s := op.Str()
	for _, a := range aggregateOperations {
		if s == a {
			return true
		}
	}
	return false
}

// count reads a token count: int or double, finite and not negative (genai-prices refuses others).
func count(v pcommon.Value, ok *bool) float64 {
	switch v.Type() {
	case pcommon.ValueTypeInt:
		if n := v.Int(); n >= 0 {
			return float64(n)
		}
	case pcommon.ValueTypeDouble:
		if f := v.Double(); f >= 0 && f <= maxFloat {
			return f
		}
	}
	*ok = false
	return 0
}

const maxFloat = 1.7976931348623157e308

// price is the span's cost, or false when it is unpriced.
func (t *Table) price(key cacheKey, u usage, start pcommon.Timestamp) (float64, bool) {
	if key.model == "" || !u.ok {
		return 0, false
	}
	e := t.lookup(key)
	switch {
	case e.override != nil:
		return e.override.cost(u)
	case e.model != nil:
		ns := int64(start)
		if start == 0 {
			ns = t.now().UnixNano()
		}
		return e.model.pick(ns).cost(u)
	}
	return 0, false
}

// ---------------------------------------------------------------- resolution and its cache

type providerKind uint8

const (
	providerAbsent providerKind = iota
	providerString
	providerOther // present but not a string: unknown, and not guessed from the model
)

type cacheKey struct {
	provider string
	model    string
	kind     providerKind
}

// entry is what a (provider, model) pair resolves to: an override, a model, or nothing (unpriced).
type entry struct {
	override *override
	model    *model
}

var unpricedEntry = &entry{}

// maxCachedName keeps a huge model name (apps control it) out of the cache: resolved every time.
const maxCachedName = 256

// resolveCache is bounded: two generations of at most half the limit each; when the current one
// is full it becomes the previous one (hits there are promoted), so memory stays bounded for any
// number of distinct names while the names in use stay cached.
type resolveCache struct {
	mu        sync.RWMutex
	cur, prev map[cacheKey]*entry
	half      int
}

const defaultCacheEntries = 8192

func (t *Table) lookup(k cacheKey) *entry {
	c := &t.cache
	c.mu.RLock()
	e, inCur := c.cur[k]
	inPrev := false
	if !inCur {
		e, inPrev = c.prev[k]
	}
	c.mu.RUnlock()
	if inCur {
		return e
	}
	if inPrev { // promote (rare: only after a generation switch)
		c.put(cacheKey{provider: strings.Clone(k.provider), model: strings.Clone(k.model), kind: k.kind}, e)
		return e
	}
	e = t.resolve(k)
	if len(k.model) <= maxCachedName && len(k.provider) <= maxCachedName {
		c.put(cacheKey{provider: strings.Clone(k.provider), model: strings.Clone(k.model), kind: k.kind}, e)
	}
	return e
}

func (c *resolveCache) put(k cacheKey, e *entry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cur == nil || len(c.cur) >= c.half {
		c.prev, c.cur = c.cur, make(map[cacheKey]*entry, c.half)
	}
	c.cur[k] = e
}

// resolve is genai-prices' find_provider_model (plus overrides) for one (provider, model) pair.
func (t *Table) resolve(k cacheKey) *entry {
	m := strings.ToLower(k.model)
	var (
		p       *provider
		raw     string
		byModel bool
	)
	switch k.kind {
	case providerAbsent:
		byModel = true
	case providerString:
		raw = strings.ToLower(strings.TrimSpace(k.provider))
		if raw == "litellm" {
			// litellm: a "vendor/model" name names the provider, if genai-prices knows the vendor.
			if i := strings.IndexByte(m, '/'); i > 0 {
				if vp := t.findProvider(m[:i]); vp != nil {
					p, m = vp, m[i+1:]
				}
			}
			if p == nil {
				if p = t.findProvider(raw); p == nil {
					byModel = true
				}
			}
		} else {
			p = t.findProvider(raw)
		}
	}
	if byModel {
		for _, cand := range t.providers {
			if cand.modelMatch != nil && cand.modelMatch.match(m) {
				p = cand
				break
			}
		}
	}
	for i := range t.overrides {
		o := &t.overrides[i]
		if (k.kind == providerString && raw == o.provider) || (p != nil && p.id == o.provider) {
			if o.prefix && strings.HasPrefix(m, o.model) || !o.prefix && m == o.model {
				return &entry{override: o}
			}
		}
	}
	if p == nil {
		return unpricedEntry
	}
	if md := p.findModel(m); md != nil {
		return &entry{model: md}
	}
	return unpricedEntry
}

// findProvider is genai-prices' find_provider_by_id after the semconv names: exact id, then the
// provider_names table, then every provider's provider_match clause in data order.
func (t *Table) findProvider(id string) *provider {
	id = strings.ToLower(strings.TrimSpace(id))
	if p := t.byID[id]; p != nil {
		return p
	}
	if p := t.names[id]; p != nil {
		return p
	}
	for _, p := range t.providers {
		if p.providerMatch != nil && p.providerMatch.match(id) {
			return p
		}
	}
	return nil
}

// findModel is genai-prices' Provider.find_model: own models, then the fallback providers' own
// models, first match wins; then the same again with a compact date rewritten.
func (p *provider) findModel(m string) *model {
	if md := p.matchModel(m, true); md != nil {
		return md
	}
	if n := normalizeCompactDate(m); n != m {
		return p.matchModel(n, true)
	}
	return nil
}

func (p *provider) matchModel(m string, withFallbacks bool) *model {
	for _, md := range p.models {
		if md.match.match(m) {
			return md
		}
	}
	if withFallbacks {
		for _, f := range p.fallbacks { // one step only, as genai-prices does
			if md := f.matchModel(m, false); md != nil {
				return md
			}
		}
	}
	return nil
}

// normalizeCompactDate rewrites "-YYYYMMDD" (a real date from 2000, followed by "-", ":" or the
// end) to "-YYYY-MM-DD", left to right without overlaps, like genai-prices' _COMPACT_DATE_RE.
func normalizeCompactDate(s string) string {
	var b []byte
	last := 0
	for i := 0; i+9 <= len(s); i++ {
		if s[i] != '-' || !compactDateAt(s, i) {
			continue
		}
		if y, mo, d := atoi(s[i+1:i+5]), atoi(s[i+5:i+7]), atoi(s[i+7:i+9]); d <= daysIn(y, mo) {
			b = append(b, s[last:i+1]...)
			b = append(b, s[i+1:i+5]...)
			b = append(b, '-')
			b = append(b, s[i+5:i+7]...)
			b = append(b, '-')
			b = append(b, s[i+7:i+9]...)
			last = i + 9
		}
		i += 8 // the regex consumed the match, valid date or not
	}
	if b == nil {
		return s
	}
	return string(append(b, s[last:]...))
}

// compactDateAt: s[i] is "-", then 20\d\d, month 01-12, day 01-31, then "-", ":" or the end.
func compactDateAt(s string, i int) bool {
	d := s[i+1 : i+9]
	for j := 0; j < 8; j++ {
		if d[j] < '0' || d[j] > '9' {
			return false
		}
	}
	if d[0] != '2' || d[1] != '0' {
		return false
	}
	mo, day := atoi(d[4:6]), atoi(d[6:8])
	if mo < 1 || mo > 12 || day < 1 || day > 31 {
		return false
	}
	return i+9 == len(s) || s[i+9] == '-' || s[i+9] == ':'
}

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// ---------------------------------------------------------------- prices

type provider struct {
	id                        string
	providerMatch, modelMatch *clause
	fallbackIDs               []string
	fallbacks                 []*provider
	models                    []*model
}

type model struct {
	id    string
	match *clause
	cands []candidate // one without constraint for a model with a single price set
}

type constraintKind uint8

const (
	always constraintKind = iota
	fromDate
	timeOfDay
)

const nsPerDay = int64(24 * time.Hour)

// candidate is a price set and when it applies (genai-prices' ConditionalPrice).
type candidate struct {
	kind       constraintKind
	from       int64 // fromDate: unix ns of the UTC midnight starting the day
	start, end int64 // timeOfDay: ns into the UTC day; end < start wraps midnight
	set        priceSet
}

func (c *candidate) active(ns int64) bool {
	switch c.kind {
	case fromDate:
		return ns >= c.from
	case timeOfDay:
		d := ns % nsPerDay
		if d < 0 {
			d += nsPerDay
		}
		if c.end < c.start {
			return d >= c.start || d < c.end
		}
		return c.start <= d && d < c.end
	}
	return true
}

// pick is genai-prices' ModelInfo.get_prices: the last active candidate, else the first.
func (m *model) pick(ns int64) *priceSet {
	for i := len(m.cands) - 1; i > 0; i-- {
		if m.cands[i].active(ns) {
			return &m.cands[i].set
		}
	}
	return &m.cands[0].set
}

type tier struct{ start, price float64 }

// price is one price key: a plain price or a base price with tiers by input token count.
type price struct {
	base  float64
	tiers []tier // ascending start
}

// at is genai-prices' calc_unit_price: the highest tier whose start is below the input count.
func (p *price) at(input float64) float64 {
	for i := len(p.tiers) - 1; i >= 0; i-- {
		if input > p.tiers[i].start {
			return p.tiers[i].price
		}
	}
	return p.base
}

type priceSet struct {
	in, cacheRead, cacheWrite, out, request price
	hasIn, hasCacheRead, hasCacheWrite      bool
	hasOut, hasRequest                      bool
}

func (s *priceSet) any() bool {
	return s.hasIn || s.hasCacheRead || s.hasCacheWrite || s.hasOut || s.hasRequest
}

// cost is genai-prices' ModelPrice.calc_price for the four token counts semconv has: cache
// tokens are split off the input only when the set prices them, and a negative remainder is an
// error (unpriced).
func (s *priceSet) cost(u usage) (float64, bool) {
	if !s.any() {
		return 0, false
	}
	total := 0.0
	if s.hasIn {
		uncached := u.in
		if s.hasCacheRead {
			uncached -= u.cacheRead
		}
		if s.hasCacheWrite {
			uncached -= u.cacheWrite
		}
		if uncached < 0 {
			return 0, false
		}
		total += uncached * s.in.at(u.in)
	}
	if s.hasCacheRead {
		total += u.cacheRead * s.cacheRead.at(u.in)
	}
	if s.hasCacheWrite {
		total += u.cacheWrite * s.cacheWrite.at(u.in)
	}
	if s.hasOut {
		total += u.out * s.out.at(u.in)
	}
	total /= 1e6
	if s.hasRequest {
		total += s.request.at(u.in)
	}
	return total, true
}

// override is an Override ready to match: provider and model lower-cased and trimmed.
type override struct {
	provider, model string
	prefix          bool
	set             priceSet
}

func (o *override) cost(u usage) (float64, bool) { return o.set.cost(u) }
