package pii

// Number detectors. Each is an anchored matcher: it is called at a position the scanner already
// knows to be a word start (a digit, or '+' / '(' for phones), returns the end of the match or -1,
// and never looks further than the number itself. Separators inside numbers are ASCII only.

// --- Korean resident registration number -------------------------------------------------------

// matchRRN matches YYMMDD-GNNNNNN (G = 1-4; dash optional, " - " and a single space allowed)
// with a real month and day.
func matchRRN(s string, i int) int {
	if digits(s, i) < 6 || !validMonthDay(s, i+2) {
		return -1
	}
	j := i + 6
	if digitAt(s, j) {
		if digits(s, i) != 13 {
			return -1
		}
	} else {
		k := j
		if k < len(s) && s[k] == ' ' {
			k++
		}
		if k < len(s) && s[k] == '-' {
			k++
			if k < len(s) && s[k] == ' ' {
				k++
			}
		}
		if k == j {
			return -1
		}
		j = k
	}
	if j >= len(s) || s[j] < '1' || s[j] > '4' || digits(s, j) != 7 || !endsWord(s, j+7) {
		return -1
	}
	return j + 7
}

// validMonthDay checks MMDD at s[k:k+4] (February 29 allowed: the year's century is unknown).
func validMonthDay(s string, k int) bool {
	m := int(s[k]-'0')*10 + int(s[k+1]-'0')
	d := int(s[k+2]-'0')*10 + int(s[k+3]-'0')
	if m < 1 || m > 12 || d < 1 {
		return false
	}
	return d <= [13]int{0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[m]
}

// --- payment cards ---------------------------------------------------------------------------------

// Card numbers are 13-19 digits with a valid Luhn check digit, from any issuer whose major industry
// identifier (first digit) is 2-6: Mastercard 2-series, Amex/Diners/JCB (3), Visa (4), Mastercard
// and Maestro (5), Discover/UnionPay/Maestro/RuPay (6). 1 (UATP airline cards), 7 (petroleum),
// 8 (healthcare/telecom) and 9 (national) are left out on purpose: those cards rarely appear in
// prompts, while order numbers, tickets and counters starting with them are common and one in ten
// random numbers passes Luhn.
const (
	cardMin = 13
	cardMax = 19
)

// matchCard matches a Luhn-valid card number: a plain run of 13-19 digits, or a first group of
// four digits followed by groups of 3-6 digits (a 5th group may have 1-2) joined by one kind of
// separator (space, dash or dot): 4-4-4-4, 4-6-5, 4-6-4, 4-4-4-4-3, ...
func matchCard(s string, i int) int {
	if s[i] < '2' || s[i] > '6' {
		return -1
	}
	g0 := digits(s, i)
	if g0 >= cardMin {
		if g0 > cardMax || !endsWord(s, i+g0) || isTimestamp(s[i:i+g0]) || !luhn(s, i, i+g0) {
			return -1
		}
		return i + g0
	}
	if g0 != 4 || i+4 >= len(s) {
		return -1
	}
	sep := s[i+4]
	if sep != ' ' && sep != '-' && sep != '.' {
		return -1
	}
	// Group ends (exclusive) and the running digit count.
	var ends [8]int
	var totals [8]int
	ends[0], totals[0] = i+4, 4
	n := 1
	j := i + 4
	for n < len(ends) && j < len(s) && s[j] == sep {
		g := digits(s, j+1)
		if g > 6 || (g < 3 && !(n == 4 && g >= 1)) {
			break
		}
		j += 1 + g
		ends[n], totals[n] = j, totals[n-1]+g
		n++
		if totals[n-1] >= cardMax {
			break
		}
	}
	for k := n - 1; k >= 1; k-- {
		t := totals[k]
		if t < cardMin || t > cardMax || !endsWord(s, ends[k]) {
			continue
		}
		if luhn(s, i, ends[k]) {
			return ends[k]
		}
	}
	return -1
}

// luhn runs the Luhn check over the digits in s[i:j] (separators skipped).
func luhn(s string, i, j int) bool {
	sum, double := 0, false
	for k := j - 1; k >= i; k-- {
		c := s[k]
		if !isDigit(c) {
			continue
		}
		d := int(c - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

// Plausible Unix time in seconds: 2001-09-09 (the first 10-digit second) to 2040-01-01. The upper
// end is deliberately not 2100: 16-digit numbers whose first ten digits lie between 2040 and 2100
// as seconds include real cards (Visa 4012 8888 8888 1881 reads as 2097), while below 2040 no
// issuer's range starts (Mastercard's 2-series begins at 2221, i.e. 2040-05).
const (
	epochMin = 1_000_000_000
	epochMax = 2_208_988_800
)

// isTimestamp reports whether an ungrouped digit run is more plausibly a time than a card: Unix time
// in ms, µs or ns (13/16/19 digits whose leading ten digits are seconds between 2001 and 2040), or a
// compact date-time YYYYMMDDhhmmss[fff] (14 or 17 digits, years 1970-2100).
func isTimestamp(d string) bool {
	switch len(d) {
	case 13, 16, 19:
		sec := 0
		for k := 0; k < 10; k++ {
			sec = sec*10 + int(d[k]-'0')
		}
		return sec >= epochMin && sec <= epochMax
	case 14, 17:
		num := func(a, b int) int {
			v := 0
			for k := a; k < b; k++ {
				v = v*10 + int(d[k]-'0')
			}
			return v
		}
		y := num(0, 4)
		return y >= 1970 && y <= 2100 && validMonthDay(d, 4) && num(8, 10) < 24 && num(10, 12) < 60 && num(12, 14) < 60
	}
	return false
}

// --- US social security number -------------------------------------------------------------------

// matchSSN matches AAA-GG-SSSS or AAA GG SSSS (one separator kind), excluding the numbers the SSA
// never issues: area 000, 666 and 900-999, group 00, serial 0000.
func matchSSN(s string, i int) int {
	if i+11 > len(s) || digits(s, i) != 3 {
		return -1
	}
	sep := s[i+3]
	if (sep != '-' && sep != ' ') || digits(s, i+4) != 2 || s[i+6] != sep || digits(s, i+7) != 4 || !endsWord(s, i+11) {
		return -1
	}
	area, group, serial := s[i:i+3], s[i+4:i+6], s[i+7:i+11]
	if area == "000" || area == "666" || area[0] == '9' || group == "00" || serial == "0000" {
		return -1
	}
	return i + 11
}

// --- phones ----------------------------------------------------------------------------------------

// isPhoneSep is a separator between phone digit groups: space, dot or dash.
func isPhoneSep(b byte) bool { return b == ' ' || b == '.' || b == '-' }

// sepAt reports whether s[j] is a phone separator.
func sepAt(s string, j int) bool { return j < len(s) && isPhoneSep(s[j]) }

// group3 reports whether s[j:j+3] is [2-9]NN followed by a non-digit (a NANP area code or exchange).
func group3(s string, j int) bool {
	return j < len(s) && s[j] >= '2' && s[j] <= '9' && digits(s, j) == 3
}

// matchPhoneIntl matches "+" and 8-15 digits, with up to two of " .()-" between digits:
// +1 (415) 555-2671, +44 20 7946 0958, +821012345678. s[i] == '+'.
func matchPhoneIntl(s string, i int) int {
	j := i + 1
	if j >= len(s) || s[j] < '1' || s[j] > '9' {
		return -1
	}
	n, best := 0, -1
	for {
		// s[j] is a digit
		j++
		n++
		if n >= 8 && endsWord(s, j) {
			best = j
		}
		if n == 15 {
			break
		}
		k := j
		for k < len(s) && k-j < 3 && (isPhoneSep(s[k]) || s[k] == '(' || s[k] == ')') {
			k++
		}
		if k-j > 2 || !digitAt(s, k) {
			break
		}
		j = k
	}
	return best
}

// matchPhoneParen matches (415) 555-2671 and (02) 312-3456. s[i] == '('.
func matchPhoneParen(s string, i int) int {
	j := i + 1
	var tail int // digits of the middle group: 3, or 3-4 for trunk-prefixed numbers
	switch g := digits(s, j); {
	case g == 3 && s[j] >= '2':
		tail = 3
	case g >= 2 && g <= 5 && s[j] == '0' && s[j+1] != '0':
		tail = 4
	default:
		return -1
	}
	j += digits(s, j)
	if j >= len(s) || s[j] != ')' {
		return -1
	}
	j++
	if sepAt(s, j) {
		j++
	}
	m := digits(s, j)
	if tail == 3 && (m != 3 || s[j] < '2') || tail == 4 && (m < 3 || m > 4) {
		return -1
	}
	j += m
	if !sepAt(s, j) || digits(s, j+1) != 4 || !endsWord(s, j+5) {
		return -1
	}
	return j + 5
}

// matchPhoneNational matches numbers without "+" that start at a digit: NANP with separators
// (415-555-2671, 415.555.2671, 1-800-555-0199, 1 (415) 555-2671), trunk-prefixed national numbers
// with separators (020 7946 0958, 02-312-3456, 010-1234-5678, 07700 900123), Korean mobiles without
// separators (01012345678) and Korean numbers with the country code but no "+" (82-10-1234-5678).
func matchPhoneNational(s string, i int) int {
	if s[i] != '0' && s[i] != '8' && s[i] != '1' && digits(s, i) != 3 {
		return -1 // NANP starts with "1" or a three-digit group, the others with 0 or 82
	}
	if e := matchNANP(s, i); e > 0 {
		return e
	}
	if s[i] == '0' {
		if e := matchTrunk(s, i); e > 0 {
			return e
		}
	}
	if s[i] == '8' || s[i] == '0' {
		if e := matchKR82(s, i); e > 0 {
			return e
		}
	}
	return -1
}

func matchNANP(s string, i int) int {
	j := i
	if s[j] == '1' {
		// 1-800-555-0199 or 1 (415) 555-2671
		k := j + 1
		if sepAt(s, k) {
			k++
		}
		if k < len(s) && s[k] == '(' {
			if !group3(s, k+1) || k+4 >= len(s) || s[k+4] != ')' {
				return -1
			}
			k += 5
			if sepAt(s, k) {
				k++
			}
			return nanpTail(s, k)
		}
		if k == j+1 {
			return -1
		}
		j = k
	}
	if !group3(s, j) || !sepAt(s, j+3) {
		return -1
	}
	return nanpTail(s, j+4)
}

// nanpTail matches the exchange and line number: [2-9]NN sep NNNN.
func nanpTail(s string, j int) int {
	if !group3(s, j) || !sepAt(s, j+3) || digits(s, j+4) != 4 || !endsWord(s, j+8) {
		return -1
	}
	return j + 8
}

// matchTrunk matches 0[1-9]N{0,3} sep NNN(N) sep NNNN, 0[1-9]NNN NNNNNN and 01[016789]NNNNNNN(N).
func matchTrunk(s string, i int) int {
	g := digits(s, i)
	if i+1 >= len(s) || s[i+1] == '0' || g < 2 {
		return -1
	}
	if g >= 10 {
		if g <= 11 && s[i+1] == '1' && (s[i+2] == '0' || s[i+2] == '1' || s[i+2] >= '6') && endsWord(s, i+g) {
			return i + g // Korean mobile, no separators
		}
		return -1
	}
	if g > 5 || !sepAt(s, i+g) {
		return -1
	}
	j := i + g + 1
	m := digits(s, j)
	if g == 5 && s[i+g] == ' ' && m == 6 && endsWord(s, j+6) {
		return j + 6 // 07700 900123
	}
	if m < 3 || m > 4 || !sepAt(s, j+m) || digits(s, j+m+1) != 4 || !endsWord(s, j+m+5) {
		return -1
	}
	return j + m + 5
}

// matchKR82 matches (00)82 [sep] area [sep] NNN(N) [sep] NNNN with a Korean area or mobile prefix
// (1[016789], 2, [3-6][1-5], 70).
func matchKR82(s string, i int) int {
	j := i
	if hasPrefixFold(s, j, "0082") {
		j += 2
	}
	if !hasPrefixFold(s, j, "82") {
		return -1
	}
	j += 2
	if sepAt(s, j) {
		j++
	}
	if j+1 >= len(s) {
		return -1
	}
	a, b := s[j], s[j+1]
	switch {
	case a == '1' && (b == '0' || b == '1' || b >= '6' && b <= '9'), a == '7' && b == '0', a >= '3' && a <= '6' && b >= '1' && b <= '5':
		j += 2
	case a == '2':
		j++
	default:
		return -1
	}
	if sepAt(s, j) {
		j++
	}
	for _, mid := range [2]int{4, 3} {
		k := j
		if digits(s, k) < mid {
			continue
		}
		k += mid
		if sepAt(s, k) {
			k++
		}
		if digits(s, k) == 4 && endsWord(s, k+4) {
			return k + 4
		}
	}
	return -1
}

// --- IP addresses ----------------------------------------------------------------------------------

// matchIPv4 matches four dotted octets 0-255 (no leading zeros) ending at a word boundary.
func matchIPv4(s string, i int) int {
	j := i
	for k := 0; k < 4; k++ {
		g := digits(s, j)
		if g == 0 || g > 3 || (g > 1 && s[j] == '0') {
			return -1
		}
		if g == 3 && (s[j] > '2' || s[j] == '2' && (s[j+1] > '5' || s[j+1] == '5' && s[j+2] > '5')) {
			return -1
		}
		j += g
		if k < 3 {
			if j >= len(s) || s[j] != '.' {
				return -1
			}
			j++
		}
	}
	if !endsWord(s, j) {
		return -1
	}
	return j
}

// hexGroup returns the length of the IPv6 group (1-4 hex digits) at j, or 0.
func hexGroup(s string, j int) int {
	k := j
	for k < len(s) && k-j < 5 && isHex(s[k]) {
		k++
	}
	if k-j > 4 {
		return 0
	}
	return k - j
}

// matchIPv6 matches a full (8 groups) or "::"-compressed IPv6 address starting with a group at i;
// an IPv4 address may stand for the last two groups (64:ff9b::192.0.2.1). The address "::ffff:a.b.c.d"
// (no group before "::") is matched by matchIPv4Mapped.
func matchIPv6(s string, i int) int {
	if g := hexGroup(s, i); g == 0 || i+g >= len(s) || s[i+g] != ':' {
		return -1 // fast reject: most words starting with a-f
	}
	j := i
	groups, before := 0, -1 // before: groups before "::" (-1: no "::" yet)
	end := -1
	for {
		g := hexGroup(s, j)
		if g == 0 {
			break
		}
		next := j + g
		if next < len(s) && s[next] == '.' && digitAt(s, next+1) {
			// embedded IPv4 as the last two groups
			if e := matchIPv4(s, j); e > 0 && (before < 0 && groups == 6 || before >= 0 && groups <= 5) {
				return e
			}
		}
		if !endsWord(s, next) {
			break
		}
		groups++
		if before >= 0 && groups > before {
			end = next // a valid compressed address ends here
		}
		if groups == 8 || (before >= 0 && groups == 7) {
			if before < 0 {
				return next
			}
			break
		}
		if next+1 < len(s) && s[next] == ':' && s[next+1] == ':' {
			if before >= 0 {
				break
			}
			before = groups
			j = next + 2
			continue
		}
		if next < len(s) && s[next] == ':' {
			j = next + 1
			continue
		}
		break
	}
	if before >= 1 {
		return end
	}
	return -1
}

// matchIPv4Mapped matches ::ffff:a.b.c.d at s[i] == ':'.
func matchIPv4Mapped(s string, i int) int {
	if !hasPrefixFold(s, i, "::ffff:") {
		return -1
	}
	return matchIPv4(s, i+7)
}
