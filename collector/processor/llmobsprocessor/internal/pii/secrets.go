package pii

import "strings"

// Secret, e-mail and IBAN detectors. Like the number detectors they are anchored matchers called
// by the scanner at a trigger; the ones found by context (password=..., Bearer ...) return the
// region of the value only, so the context stays readable.

// --- API keys and tokens with a known prefix -------------------------------------------------------

// A token class: which bytes may follow the prefix.
const (
	tkAlnum      = iota // [A-Za-z0-9]
	tkAlnumUnder        // [A-Za-z0-9_]
	tkAlnumDash         // [A-Za-z0-9_-]
	tkAlnumHyph         // [A-Za-z0-9-]
	tkUpperNum          // [A-Z0-9]
)

func inTokenClass(b byte, k int) bool {
	c := class[b]
	switch k {
	case tkAlnum:
		return c&cWord != 0 && b != '_'
	case tkAlnumUnder:
		return c&cWord != 0
	case tkAlnumDash:
		return c&cWord != 0 || b == '-'
	case tkAlnumHyph:
		return (c&cWord != 0 && b != '_') || b == '-'
	case tkUpperNum:
		return c&(cUpper|cDigit) != 0
	}
	return false
}

// tokenRule is a token: a literal prefix at a word start, then at least min bytes of a class.
// needDigit rejects look-alikes made of words only ("sk-learn-compatible-estimators-for-x").
type tokenRule struct {
	prefix    string
	class     int
	min       int
	needDigit bool
}

// tokenRules by first byte of the prefix (an array: the look-up runs at many word starts).
var tokenRules = [256][]tokenRule{
	's': {
		{"sk_live_", tkAlnum, 16, false}, // Stripe
		{"sk_test_", tkAlnum, 16, false},
		{"sk-", tkAlnumDash, 20, true}, // OpenAI, Anthropic (sk-ant-), DeepSeek, ...
	},
	'r': {{"rk_live_", tkAlnum, 16, false}},
	'A': {
		{"AIza", tkAlnumDash, 35, false}, // Google API key
		{"AKIA", tkUpperNum, 16, false},  // AWS access key ids
		{"ASIA", tkUpperNum, 16, false},
		{"ABIA", tkUpperNum, 16, false},
		{"ACCA", tkUpperNum, 16, false},
		{"AGPA", tkUpperNum, 16, false},
		{"AIDA", tkUpperNum, 16, false},
		{"AIPA", tkUpperNum, 16, false},
		{"ANPA", tkUpperNum, 16, false},
		{"AROA", tkUpperNum, 16, false},
	},
	'g': {
		{"ghp_", tkAlnum, 30, false}, // GitHub
		{"gho_", tkAlnum, 30, false},
		{"ghu_", tkAlnum, 30, false},
		{"ghs_", tkAlnum, 30, false},
		{"ghr_", tkAlnum, 30, false},
		{"github_pat_", tkAlnumUnder, 30, false},
		{"glpat-", tkAlnumDash, 20, false}, // GitLab
		{"gsk_", tkAlnum, 40, false},       // Groq
	},
	'x': {
		{"xoxa-", tkAlnumHyph, 10, false}, // Slack
		{"xoxb-", tkAlnumHyph, 10, false},
		{"xoxp-", tkAlnumHyph, 10, false},
		{"xoxo-", tkAlnumHyph, 10, false},
		{"xoxs-", tkAlnumHyph, 10, false},
		{"xoxr-", tkAlnumHyph, 10, false},
		{"xapp-", tkAlnumHyph, 12, true},
		{"xai-", tkAlnum, 40, false}, // xAI
	},
	'y': {{"ya29.", tkAlnumDash, 20, false}}, // Google OAuth access token
	'h': {{"hf_", tkAlnum, 30, false}},       // Hugging Face
	'n': {{"npm_", tkAlnum, 36, false}},      // npm
}

// matchToken matches a prefixed token at the word start i (SendGrid "SG." and JWTs "eyJ" have
// dotted parts and are matched by matchDotted).
func matchToken(s string, i int) int {
	switch s[i] {
	case 'S':
		if i+2 < len(s) && s[i+1] == 'G' && s[i+2] == '.' {
			return matchDotted(s, i, "SG.", 2, 16)
		}
		return -1
	case 'e':
		if i+2 < len(s) && s[i+1] == 'y' && s[i+2] == 'J' {
			return matchDotted(s, i, "eyJ", 3, 8)
		}
		return -1
	}
	if i+1 >= len(s) {
		return -1
	}
	for _, r := range tokenRules[s[i]] {
		if s[i+1] != r.prefix[1] || !strings.HasPrefix(s[i:], r.prefix) {
			continue
		}
		j := i + len(r.prefix)
		digit := false
		for j < len(s) && inTokenClass(s[j], r.class) {
			digit = digit || isDigit(s[j])
			j++
		}
		if j-i-len(r.prefix) >= r.min && (digit || !r.needDigit) {
			return j
		}
	}
	return -1
}

// matchDotted matches prefix + parts of [A-Za-z0-9_-] joined by dots, each part at least min long
// (the prefix belongs to the first part): SendGrid SG.xxx.yyy, JWT eyJxxx.yyy.zzz.
func matchDotted(s string, i int, prefix string, parts, min int) int {
	if !strings.HasPrefix(s[i:], prefix) {
		return -1
	}
	j := i + len(prefix)
	for p := 0; p < parts; p++ {
		if p > 0 {
			if j >= len(s) || s[j] != '.' {
				return -1
			}
			j++
		}
		k := j
		for k < len(s) && inTokenClass(s[k], tkAlnumDash) {
			k++
		}
		if k-j < min {
			return -1
		}
		j = k
	}
	return j
}

// --- PEM private keys ------------------------------------------------------------------------------

const pemBegin = "-----BEGIN"

// matchPrivateKey matches -----BEGIN [A-Z ]{0,20}PRIVATE KEY----- up to the matching END line.
// When the END line is missing (a truncated value), the key body is masked up to where the base64
// text ends, so a cut-off key never leaks.
func matchPrivateKey(s string, i int) int {
	if !strings.HasPrefix(s[i:], pemBegin) {
		return -1
	}
	j := armour(s, i+len(pemBegin))
	if j < 0 {
		return -1
	}
	if k := strings.Index(s[j:], "-----END"); k >= 0 {
		if e := armour(s, j+k+len("-----END")); e > 0 {
			return e
		}
	}
	// no END line: the base64 body (letters, digits, + / =, whitespace and JSON \n \r \t \/ escapes)
	for j < len(s) {
		c := s[j]
		switch {
		case isWord(c) && c != '_', c == '+', c == '/', c == '=', isSpace(c):
			j++
		case c == '\\' && j+1 < len(s) && (s[j+1] == 'n' || s[j+1] == 'r' || s[j+1] == 't' || s[j+1] == '/'):
			j += 2
		default:
			return j
		}
	}
	return j
}

// armour matches "[A-Z ]{0,20}PRIVATE KEY-----" at j; returns its end or -1.
func armour(s string, j int) int {
	for k := 0; k <= 20 && j+k <= len(s); k++ {
		if strings.HasPrefix(s[j+k:], "PRIVATE KEY-----") {
			return j + k + len("PRIVATE KEY-----")
		}
		if j+k >= len(s) || !(isUpper(s[j+k]) || s[j+k] == ' ') {
			break
		}
	}
	return -1
}

// --- secrets found by context ----------------------------------------------------------------------

// secretValue returns the end of a secret value starting at j: bytes other than whitespace, quotes,
// backslash, , ; < > ( ) { } [ ], plus whole \uXXXX escapes (a non-ASCII password in JSON text).
// At least 4 bytes, else -1.
func secretValue(s string, j int) int {
	k := j
	for k < len(s) {
		c := s[k]
		if class[c]&cStop == 0 {
			k++
			continue
		}
		if c == '\\' && escapeLen(s, k) == 6 {
			k += 6
			continue
		}
		break
	}
	if k-j < 4 {
		return -1
	}
	return k
}

// Context words before ":" or "=" whose value is a secret, lower case, grouped by their last byte
// (the look-up goes backwards from the assignment). "_" also stands for "-" and for nothing, and
// in "api key" and "access key" for a space. Korean words (and their JSON \uXXXX forms) follow.
var secretWords = func() *[256][]string {
	base := []string{
		"password", "passwd", "passphrase", "pwd", "secret_key", "client_secret", "api_secret",
		"app_secret", "api_key", "apikey", "x-api-key", "access_key", "access_key_id", "private_key",
		"auth_token", "access_token", "refresh_token", "session_token", "secret_access_key",
		"aws_secret_key", "aws_secret_access_key", "secret", "api_token", "authorization",
		"비밀번호", "패스워드", "암호",
	}
	out := new([256][]string)
	add := func(w string) {
		for _, v := range out[w[len(w)-1]] {
			if v == w {
				return
			}
		}
		out[w[len(w)-1]] = append(out[w[len(w)-1]], w)
	}
	var expand func(prefix, rest string, spaces bool)
	expand = func(prefix, rest string, spaces bool) {
		k := strings.IndexByte(rest, '_')
		if k < 0 {
			add(prefix + rest)
			return
		}
		head, tail := prefix+rest[:k], rest[k+1:]
		expand(head+"_", tail, spaces)
		expand(head+"-", tail, spaces)
		expand(head, tail, spaces)
		if spaces {
			expand(head+" ", tail, spaces)
		}
	}
	for _, w := range base {
		if w[0] >= 0x80 {
			add(w)
			esc := ""
			for _, r := range w {
				esc += `\u` + hex4(r)
			}
			add(esc)
			continue
		}
		expand("", w, w == "api_key" || w == "access_key" || w == "access_key_id")
	}
	return out
}()

func hex4(r rune) string {
	const h = "0123456789abcdef"
	return string([]byte{h[r>>12&15], h[r>>8&15], h[r>>4&15], h[r&15]})
}

// matchSecretContext is called at an assignment s[i] (':' or '='). It looks back for a context
// word (optionally quoted, "password":, \"api_key\":, DB_PASSWORD=, 비밀번호:) and returns the
// region of the value after it, which is what gets masked. last is the end of the previous match
// (a word boundary once it is a placeholder).
func matchSecretContext(s string, i, last int) (int, int) {
	k := i
	for k > 0 && isSpace(s[k-1]) {
		k--
	}
	if k > 0 && (s[k-1] == '"' || s[k-1] == '\'') {
		k--
		if k > 0 && s[k-1] == '\\' {
			k--
		}
	}
	if k == 0 {
		return -1, -1
	}
	words := secretWords[lower(s[k-1])]
	if len(words) == 0 {
		return -1, -1
	}
	word := ""
	for _, w := range words {
		start := k - len(w)
		if start < 0 || !hasPrefixFold(s, start, w) {
			continue
		}
		if w[0] < 0x80 && w[0] != '\\' && !(start == last || startsWord(s, start) || s[start-1] == '_' || s[start-1] == '.' || s[start-1] == '-') {
			continue
		}
		if len(w) > len(word) {
			word = w
		}
	}
	if word == "" {
		return -1, -1
	}
	// after the assignment: \s* and an optional quote
	j := i + 1
	for j < len(s) && isSpace(s[j]) {
		j++
	}
	if j+1 < len(s) && s[j] == '\\' && (s[j+1] == '"' || s[j+1] == '\'') {
		j += 2
	} else if j < len(s) && (s[j] == '"' || s[j] == '\'') {
		j++
	}
	if word == "authorization" {
		if !hasPrefixFold(s, j, "basic") || j+5 >= len(s) || !isSpace(s[j+5]) {
			return -1, -1
		}
		j += 5
		for j < len(s) && isSpace(s[j]) {
			j++
		}
	}
	if e := secretValue(s, j); e > 0 {
		return j, e
	}
	return -1, -1
}

// matchBearer matches "Bearer" (any case) at the word start i, whitespace, and a value; it returns
// the region of the value.
func matchBearer(s string, i int) (int, int) {
	if !hasPrefixFold(s, i, "bearer") || i+6 >= len(s) || !isSpace(s[i+6]) {
		return -1, -1
	}
	j := i + 7
	for j < len(s) && isSpace(s[j]) {
		j++
	}
	if e := secretValue(s, j); e > 0 {
		return j, e
	}
	return -1, -1
}

// isURLByte is a byte allowed in the user or password of scheme://user:password@host.
func isURLByte(b byte) bool {
	return class[b]&cSpace == 0 && b != '/' && b != '@' && b != '"' && b != '\'' && b != '\\'
}

// matchURLPassword is called at '@' (s[at]); for scheme://user:password@ (also JSON-escaped
// :\/\/) it returns the region of the password, which must start at or after min.
func matchURLPassword(s string, at, min int) (int, int) {
	k := at
	for k > 0 && at-k <= 64+1+128 && isURLByte(s[k-1]) {
		k--
	}
	if !(k >= 3 && s[k-3:k] == "://") && !(k >= 5 && s[k-5:k] == `:\/\/`) {
		return -1, -1
	}
	colon := strings.IndexByte(s[k:at], ':')
	if colon < 1 || colon > 64 {
		return -1, -1
	}
	start := k + colon + 1
	if start < min || at-start < 1 || at-start > 128 || hasPlaceholder(s[k:at]) {
		return -1, -1
	}
	return start, at
}

// hasPlaceholder reports whether s contains "[" NAME "]" with NAME like a placeholder's
// ([A-Z][A-Z0-9_]*). A URL whose user or password holds one was partly masked already: masking
// it again would change the result of a first pass (idempotence), e.g. scheme://[PHONE]:pw@host
// where the first pass saw "415 555 2671", not a URL user.
func hasPlaceholder(s string) bool {
	for {
		k := strings.IndexByte(s, '[')
		if k < 0 {
			return false
		}
		s = s[k+1:]
		j := 0
		for j < len(s) && (isUpper(s[j]) || j > 0 && (isDigit(s[j]) || s[j] == '_')) {
			j++
		}
		if j > 0 && j < len(s) && s[j] == ']' {
			return true
		}
	}
}

// --- e-mail ----------------------------------------------------------------------------------------

// matchEmail is called at '@' (s[at]); it expands left over the local part (not before min, and
// not into a JSON escape such as \n or \u00e9) and right over the domain, whose last label must be
// 2-24 letters ending at a word boundary. It returns the region of the address.
func matchEmail(s string, at, min int) (int, int) {
	p := at
	for p > min && class[s[p-1]]&cLocal != 0 {
		p--
	}
	if p > 0 && s[p-1] == '\\' && p < at {
		if s[p] == 'u' && p+5 <= at && isHex(s[p+1]) && isHex(s[p+2]) && isHex(s[p+3]) && isHex(s[p+4]) {
			p += 5
		} else if strings.IndexByte("nrtbf", s[p]) >= 0 {
			p++
		}
	}
	for p < at && !isWord(s[p]) {
		p++ // the address starts at a word start (RE2 \b)
	}
	if p == at {
		return -1, -1
	}
	// domain labels: [A-Za-z0-9]([A-Za-z0-9-]{0,62}[A-Za-z0-9])? joined by '.'
	j := at + 1
	end := -1
	for labels := 0; labels < 32; labels++ {
		k := j
		for k < len(s) && (isWord(s[k]) && s[k] != '_' || s[k] == '-') {
			k++
		}
		if k == j || k-j > 63 || s[j] == '-' {
			break
		}
		if labels > 0 {
			// this label may be the top-level domain: its leading letters, 2-24, at a boundary
			a := j
			for a < k && isAlpha(s[a]) {
				a++
			}
			if a-j >= 2 && a-j <= 24 && endsWord(s, a) {
				end = a
			}
		}
		if s[k-1] == '-' || k >= len(s) || s[k] != '.' {
			break
		}
		j = k + 1
	}
	if end < 0 {
		return -1, -1
	}
	return p, end
}

// --- IBAN ------------------------------------------------------------------------------------------

// matchIBAN matches an IBAN at the word start i: two capital letters, two check digits and the
// account (capitals and digits), 15-34 characters, plain or in groups of four separated by a space
// or dash, with a valid ISO 7064 mod-97 check. The longest candidate that passes wins. shape is
// the end of the longest IBAN-shaped text when none passes (-1 if there is none): the scanner skips
// it, so the digits of a mistyped IBAN are not read as a card or phone number.
func matchIBAN(s string, i int) (end, shape int) {
	if i+4 > len(s) || !isUpper(s[i+1]) || !isDigit(s[i+2]) || !isDigit(s[i+3]) {
		return -1, -1
	}
	// segments: runs of [A-Z0-9] separated by one space or dash
	var ends [10]int
	var counts [10]int
	n, total, j := 0, 0, i
	for n < len(ends) {
		k := j
		for k < len(s) && class[s[k]]&(cUpper|cDigit) != 0 && total+(k-j) < 35 {
			k++
		}
		total += k - j
		ends[n], counts[n] = k, total
		n++
		if total > 34 || (k-j)%4 != 0 || k+1 >= len(s) || (s[k] != ' ' && s[k] != '-') || class[s[k+1]]&(cUpper|cDigit) == 0 {
			break
		}
		j = k + 1
	}
	shape = -1
	for m := n - 1; m >= 0; m-- {
		if counts[m] < 15 || counts[m] > 34 || !endsWord(s, ends[m]) {
			continue
		}
		if mod97(s, i, ends[m]) == 1 {
			return ends[m], -1
		}
		if shape < 0 {
			shape = ends[m]
		}
	}
	return -1, shape
}

// mod97 computes the IBAN check (first four characters moved to the end, letters as 10-35) over
// s[i:j], separators skipped.
func mod97(s string, i, j int) int {
	r := 0
	add := func(c byte) {
		if isDigit(c) {
			r = (r*10 + int(c-'0')) % 97
		} else {
			r = (r*100 + int(c-'A') + 10) % 97
		}
	}
	for k := i + 4; k < j; k++ {
		if s[k] != ' ' && s[k] != '-' {
			add(s[k])
		}
	}
	for k := i; k < i+4; k++ {
		add(s[k])
	}
	return r
}
