package pii

// Byte classes used by the scanner and the matchers. Everything is ASCII: like RE2's \b, a byte
// >= 0x80 (Korean or any other non-ASCII text) is a non-word byte, so a value written directly
// against Korean text still starts and ends at a word boundary.

const (
	cWord  = 1 << iota // [A-Za-z0-9_]
	cDigit             // [0-9]
	cHex               // [0-9A-Fa-f]
	cUpper             // [A-Z]
	cAlpha             // [A-Za-z]
	cLocal             // e-mail local part [A-Za-z0-9._%+-]
	cSpace             // RE2 \s: [\t\n\f\r ]
	cStop              // ends a secret value: \s " ' \ , ; < > ( ) { } [ ]
)

var class [256]uint8

func init() {
	for c := 0; c < 256; c++ {
		b := byte(c)
		var k uint8
		isDigit := b >= '0' && b <= '9'
		isUpper := b >= 'A' && b <= 'Z'
		isLower := b >= 'a' && b <= 'z'
		if isDigit || isUpper || isLower || b == '_' {
			k |= cWord | cLocal
		}
		if isDigit {
			k |= cDigit | cHex
		}
		if (b >= 'a' && b <= 'f') || (b >= 'A' && b <= 'F') {
			k |= cHex
		}
		if isUpper {
			k |= cUpper
		}
		if isUpper || isLower {
			k |= cAlpha
		}
		switch b {
		case '.', '%', '+', '-':
			k |= cLocal
		case '\t', '\n', '\f', '\r', ' ':
			k |= cSpace | cStop
		case '"', '\'', '\\', ',', ';', '<', '>', '(', ')', '{', '}', '[', ']':
			k |= cStop
		}
		class[c] = k
	}
}

func isWord(b byte) bool  { return class[b]&cWord != 0 }
func isDigit(b byte) bool { return class[b]&cDigit != 0 }
func isHex(b byte) bool   { return class[b]&cHex != 0 }
func isUpper(b byte) bool { return class[b]&cUpper != 0 }
func isAlpha(b byte) bool { return class[b]&cAlpha != 0 }
func isSpace(b byte) bool { return class[b]&cSpace != 0 }

// wordAt reports whether s[i] is a word byte (false past the end).
func wordAt(s string, i int) bool { return i >= 0 && i < len(s) && isWord(s[i]) }

// digitAt reports whether s[i] is a digit (false out of range).
func digitAt(s string, i int) bool { return i >= 0 && i < len(s) && isDigit(s[i]) }

// endsWord reports whether a match ending at j ends at a word boundary (RE2 \b after a word byte).
func endsWord(s string, j int) bool { return j >= len(s) || !isWord(s[j]) }

// digits counts the digits starting at i.
func digits(s string, i int) int {
	j := i
	for j < len(s) && isDigit(s[j]) {
		j++
	}
	return j - i
}

// escapeLen is the length of the JSON escape starting at the backslash s[i] (\n, \", \uXXXX, ...),
// or 0 if s[i] does not start one.
func escapeLen(s string, i int) int {
	if i+1 >= len(s) || s[i] != '\\' {
		return 0
	}
	switch s[i+1] {
	case 'n', 'r', 't', 'b', 'f', '"', '/', '\\', '\'':
		return 2
	case 'u':
		if i+5 < len(s) && isHex(s[i+2]) && isHex(s[i+3]) && isHex(s[i+4]) && isHex(s[i+5]) {
			return 6
		}
	}
	return 0
}

// afterEscape reports whether a JSON letter escape (\n, \t, \uXXXX, ...) ends exactly at k, so that
// k counts as a word start although the byte before it is a letter or digit. Used when looking
// backwards (the forward scan tracks escapes itself).
func afterEscape(s string, k int) bool {
	if k >= 2 && s[k-2] == '\\' {
		switch s[k-1] {
		case 'n', 'r', 't', 'b', 'f':
			return true
		}
	}
	return k >= 6 && s[k-6] == '\\' && s[k-5] == 'u' && isHex(s[k-4]) && isHex(s[k-3]) && isHex(s[k-2]) && isHex(s[k-1])
}

// startsWord reports whether position k is a word start for a backwards look-up: at the start, after
// a non-word byte, or right after a JSON escape.
func startsWord(s string, k int) bool {
	return k == 0 || !isWord(s[k-1]) || afterEscape(s, k)
}

// lower is ASCII lower-casing of one byte.
func lower(b byte) byte {
	if b >= 'A' && b <= 'Z' {
		return b + 'a' - 'A'
	}
	return b
}

// hasPrefixFold reports whether s[i:] starts with the lower-case ASCII word w, ignoring case.
func hasPrefixFold(s string, i int, w string) bool {
	if i < 0 || len(s)-i < len(w) {
		return false
	}
	for k := 0; k < len(w); k++ {
		if lower(s[i+k]) != w[k] {
			return false
		}
	}
	return true
}
