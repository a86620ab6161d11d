package pii

import "strings"

// Kind is what a built-in detector found; it picks the placeholder.
type Kind uint8

// The built-in kinds, in placeholder order.
const (
	KindEmail Kind = iota
	KindPhone
	KindCard
	KindSSN
	KindKRRRN
	KindIBAN
	KindIP
	KindSecret
	numKinds
)

var placeholders = [numKinds]string{
	"[EMAIL]", "[PHONE]", "[CARD]", "[SSN]", "[KR_RRN]", "[IBAN]", "[IP]", "[SECRET]",
}

// Placeholder is the text that replaces a value of kind k, e.g. "[EMAIL]".
func (k Kind) Placeholder() string { return placeholders[k] }

// String is the kind's name as used in placeholders and metrics: EMAIL, PHONE, ...
func (k Kind) String() string { p := placeholders[k]; return p[1 : len(p)-1] }

// Counts holds how many values of each built-in kind were masked, plus User for user patterns.
type Counts struct {
	Builtin [numKinds]int
	User    int
}

// scanner runs every built-in detector in one left-to-right pass over s.
//
// The pass looks at two kinds of positions only. At a word start (a word byte after a non-word
// byte, after a JSON escape such as \n or \u00e9, or at the start) it dispatches on the first byte:
// digits go to the number matchers, letters to the token prefixes, "Bearer", IBAN and IPv6. At a
// few punctuation bytes it runs the detectors anchored there: '@' (e-mail, URL password), ':' and
// '=' (password=, "api_key": ..., ::ffff:a.b.c.d), '+' and '(' (phones), '-' (PEM keys). Any other
// byte costs one table look-up. Matches never overlap: the pass continues after each one, and
// detectors that expand to the left (e-mail) stop at the end of the previous match.
type scanner struct {
	s      string
	out    strings.Builder
	last   int // s[:last] has been written to out (only when dirty)
	dirty  bool
	counts *Counts
}

func (sc *scanner) emit(start, end int, k Kind) {
	if !sc.dirty {
		sc.dirty = true
		sc.out.Grow(len(sc.s) + 16)
	}
	sc.out.WriteString(sc.s[sc.last:start])
	sc.out.WriteString(placeholders[k])
	sc.last = end
	if sc.counts != nil {
		sc.counts.Builtin[k]++
	}
}

// maskBuiltins applies every built-in detector to s.
func maskBuiltins(s string, counts *Counts) (string, bool) {
	sc := scanner{s: s, counts: counts}
	sc.run()
	if !sc.dirty {
		return s, false
	}
	sc.out.WriteString(s[sc.last:])
	return sc.out.String(), true
}

func (sc *scanner) run() {
	s := sc.s
	n := len(s)
	escEnd := -1 // a JSON escape ended here: a word start even after a letter
	for i := 0; i < n; {
		c := s[i]
		if class[c]&cWord != 0 {
			if i == 0 || class[s[i-1]]&cWord == 0 || i == escEnd {
				start, end, k := sc.atWord(i)
				if end > 0 {
					sc.emit(start, end, k)
					i = end
					escEnd = end // a placeholder ends in "]": what follows starts a word
					continue
				}
				if start > i {
					i = start // skip a shape that failed its checksum (see matchIBAN)
					continue
				}
			}
			i++
			for i < n && class[s[i]]&cWord != 0 {
				i++
			}
			continue
		}
		switch c {
		case '\\':
			if l := escapeLen(s, i); l > 0 {
				i += l
				escEnd = i
				continue
			}
		case '@':
			if start, end := matchURLPassword(s, i, sc.last); end > 0 {
				sc.emit(start, end, KindSecret)
				i, escEnd = end, end
				continue
			}
			if start, end := matchEmail(s, i, sc.last); end > 0 {
				sc.emit(start, end, KindEmail)
				i, escEnd = end, end
				continue
			}
		case ':', '=':
			if c == ':' && i+1 < n && s[i+1] == ':' {
				if end := matchIPv4Mapped(s, i); end > 0 {
					sc.emit(i, end, KindIP)
					i, escEnd = end, end
					continue
				}
			}
			if start, end := matchSecretContext(s, i, sc.last); end > 0 {
				sc.emit(start, end, KindSecret)
				i, escEnd = end, end
				continue
			}
		case '+':
			if end := matchPhoneIntl(s, i); end > 0 {
				sc.emit(i, end, KindPhone)
				i, escEnd = end, end
				continue
			}
		case '(':
			if end := matchPhoneParen(s, i); end > 0 {
				sc.emit(i, end, KindPhone)
				i, escEnd = end, end
				continue
			}
		case '-':
			if end := matchPrivateKey(s, i); end > 0 {
				sc.emit(i, end, KindSecret)
				i, escEnd = end, end
				continue
			}
		}
		i++
	}
}

// atWord runs the detectors that start at the word start i. It returns the region to mask, or
// end -1 and in start where scanning resumes (i: the next byte).
func (sc *scanner) atWord(i int) (int, int, Kind) {
	s := sc.s
	c := s[i]
	if isDigit(c) {
		return sc.atNumber(i)
	}
	switch c {
	case 's', 'r', 'A', 'g', 'x', 'y', 'h', 'n', 'S', 'e':
		if e := matchToken(s, i); e > 0 {
			return i, e, KindSecret
		}
	case 'b', 'B':
		if start, end := matchBearer(s, i); end > 0 {
			return start, end, KindSecret
		}
	}
	if isUpper(c) {
		e, shape := matchIBAN(s, i)
		if e > 0 {
			return i, e, KindIBAN
		}
		if shape > 0 {
			return shape, -1, 0
		}
	}
	if isHex(c) {
		if e := matchIPv6(s, i); e > 0 {
			return i, e, KindIP
		}
	}
	return -1, -1, 0
}

// atNumber runs the number detectors at the word start i (a digit), choosing them by the length d
// of the first digit run and the byte after it, so the common numbers of ordinary text ("12 seats",
// "2024-11-25", "v1.2.3", "3시") cost a few comparisons.
func (sc *scanner) atNumber(i int) (int, int, Kind) {
	s := sc.s
	d := digits(s, i)
	var next byte
	if i+d < len(s) {
		next = s[i+d]
	}
	sep := next == ' ' || next == '-' || next == '.'
	if !sep && d < 10 {
		if (next == ':' || isHex(next)) && d <= 4 {
			if e := matchIPv6(s, i); e > 0 {
				return i, e, KindIP
			}
		}
		if next == '(' && d == 1 && s[i] == '1' {
			if e := matchNANP(s, i); e > 0 {
				return i, e, KindPhone
			}
		}
		return -1, -1, 0
	}
	if d == 13 || d == 6 && next != '.' {
		if e := matchRRN(s, i); e > 0 {
			return i, e, KindKRRRN
		}
	}
	if d >= cardMin || d == 4 && sep {
		if e := matchCard(s, i); e > 0 {
			return i, e, KindCard
		}
	}
	if d == 3 && next != '.' {
		if e := matchSSN(s, i); e > 0 {
			return i, e, KindSSN
		}
	}
	if e := matchPhoneNational(s, i); e > 0 {
		return i, e, KindPhone
	}
	if d <= 3 && next == '.' {
		if e := matchIPv4(s, i); e > 0 {
			return i, e, KindIP
		}
	}
	return -1, -1, 0
}
