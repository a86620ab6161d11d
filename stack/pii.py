"""Settings-time checks for PII patterns from ``llmobs.yaml``.

Masking itself is done in the collector by the llmobs processor
(collector/processor/llmobsprocessor/internal/pii: detectors with checksums,
one linear scan per value, structured values walked in place); its README
section "PII masking" lists what is masked and how. User patterns
(``pii.patterns``) run there with Go's regexp, so they must be RE2: an invalid
one would stop the collector at start-up, so llmobs refuses it first, naming
where it came from.
"""

from __future__ import annotations

from llmobs.errors import LlmobsError

# --- RE2 syntax check ----------------------------------------------------------------------
# User patterns end up in Go's regexp (RE2 syntax). An invalid one would stop the collector at
# start-up, so render refuses it first. This is a port of the checks of Go's regexp/syntax
# parser (Perl flags, as regexp.Compile uses): no PyPI binding is needed at render time, and
# the errors can say what to write instead. tests/test_collector_pii.py compares its verdicts
# with the collector's own on a list of patterns.

_UNICODE_CLASSES_NAMES = (
    "Any L Lu Ll Lt Lm Lo M Mn Mc Me N Nd Nl No P Pc Pd Ps Pe Pi Pf Po S Sm Sc Sk So Z Zs Zl Zp C Cc Cf "
    "Cs Co Adlam Ahom Anatolian_Hieroglyphs Arabic Armenian Avestan Balinese Bamum Bassa_Vah Batak "
    "Bengali Bhaiksuki Bopomofo Brahmi Braille Buginese Buhid Canadian_Aboriginal Carian "
    "Caucasian_Albanian Chakma Cham Cherokee Chorasmian Common Coptic Cuneiform Cypriot Cypro_Minoan "
    "Cyrillic Deseret Devanagari Dives_Akuru Dogra Duployan Egyptian_Hieroglyphs Elbasan Elymaic Ethiopic "
    "Georgian Glagolitic Gothic Grantha Greek Gujarati Gunjala_Gondi Gurmukhi Han Hangul Hanifi_Rohingya "
    "Hanunoo Hatran Hebrew Hiragana Imperial_Aramaic Inherited Inscriptional_Pahlavi "
    "Inscriptional_Parthian Javanese Kaithi Kannada Katakana Kawi Kayah_Li Kharoshthi Khitan_Small_Script "
    "Khmer Khojki Khudawadi Lao Latin Lepcha Limbu Linear_A Linear_B Lisu Lycian Lydian Mahajani Makasar "
    "Malayalam Mandaic Manichaean Marchen Masaram_Gondi Medefaidrin Meetei_Mayek Mende_Kikakui "
    "Meroitic_Cursive Meroitic_Hieroglyphs Miao Modi Mongolian Mro Multani Myanmar Nabataean Nag_Mundari "
    "Nandinagari New_Tai_Lue Newa Nko Nushu Nyiakeng_Puachue_Hmong Ogham Ol_Chiki Old_Hungarian "
    "Old_Italic Old_North_Arabian Old_Permic Old_Persian Old_Sogdian Old_South_Arabian Old_Turkic "
    "Old_Uyghur Oriya Osage Osmanya Pahawh_Hmong Palmyrene Pau_Cin_Hau Phags_Pa Phoenician "
    "Psalter_Pahlavi Rejang Runic Samaritan Saurashtra Sharada Shavian Siddham SignWriting Sinhala "
    "Sogdian Sora_Sompeng Soyombo Sundanese Syloti_Nagri Syriac Tagalog Tagbanwa Tai_Le Tai_Tham Tai_Viet "
    "Takri Tamil Tangsa Tangut Telugu Thaana Thai Tibetan Tifinagh Tirhuta Toto Ugaritic Vai Vithkuqi "
    "Wancho Warang_Citi Yezidi Yi Zanabazar_Square "
)
_UNICODE_CLASSES = frozenset(_UNICODE_CLASSES_NAMES.split())
_POSIX_CLASSES_NAMES = "alnum alpha ascii blank cntrl digit graph lower print punct space upper word xdigit "
_POSIX_CLASSES = frozenset(_POSIX_CLASSES_NAMES.split())
_MAX_REPEAT = 1000


class _Re2Error(Exception):
    def __init__(self, problem: str, fix: str) -> None:
        super().__init__(problem)
        self.problem, self.fix = problem, fix


def _perl_group(rx: str, i: int) -> tuple[int, str | None, str]:
    """Parse what follows "(?" at ``i``; return (index after it, capture name or None, kind)."""
    rest = rx[i:]
    lookaround = {"=": "look-ahead", "!": "negative look-ahead", "<=": "look-behind", "<!": "negative look-behind"}
    for opener, what in sorted(lookaround.items(), key=lambda kv: -len(kv[0])):
        if rest.startswith(opener):
            raise _Re2Error(
                f"{what} '(?{opener}' is not supported by RE2",
                "match the surrounding text instead (e.g. a capture group or \\b), without look-arounds",
            )
    if rest.startswith(">"):
        raise _Re2Error("atomic group '(?>' is not supported by RE2", "use a plain group '(?:...)'")
    if rest.startswith("P=") or rest.startswith("P>"):
        raise _Re2Error("backreference '(?P=name)' is not supported by RE2", "repeat the sub-pattern instead")
    if rest.startswith("#"):
        raise _Re2Error("comment group '(?#' is not supported by RE2", "remove the comment")
    if rest.startswith("("):
        raise _Re2Error("conditional group '(?(' is not supported by RE2", "use an alternation '(?:a|b)'")
    if rest.startswith("P<") or rest.startswith("<"):
        start = i + (2 if rest.startswith("P<") else 1)
        end = rx.find(">", start)
        name = rx[start:end] if end >= 0 else ""
        if end < 0 or not name or not all(c.isascii() and (c.isalnum() or c == "_") for c in name):
            raise _Re2Error(f"invalid named group {rx[i - 2 : end + 1 if end >= 0 else None]!r}", "write (?P<name>...)")
        return end + 1, name, "group"
    j, sign, saw = i, 1, False
    while j < len(rx):
        c = rx[j]
        j += 1
        if c in "imsU":
            saw = True
        elif c == "-" and sign > 0:
            sign, saw = -1, False
        elif c in ":)":
            if sign < 0 and not saw:
                break
            return j, None, "group" if c == ":" else "flags"
        else:
            break
    flag = rx[i:j]
    raise _Re2Error(
        f"'(?{flag}' is not RE2 syntax",
        "RE2 groups are (?:...), (?P<name>...) and the flags i, m, s, U as in (?i) or (?i:...)",
    )


def _escape(rx: str, i: int, in_class: bool) -> int:
    """Check the escape starting at the backslash ``rx[i]``; return the index after it."""
    if i + 1 >= len(rx):
        raise _Re2Error("trailing backslash at end of expression", "escape it as \\\\")
    c = rx[i + 1]
    if c in "1234567" and (i + 2 >= len(rx) or rx[i + 2] not in "01234567"):
        raise _Re2Error(f"backreference '\\{c}' is not supported by RE2", "repeat the sub-pattern instead")
    if c in "01234567":
        j = i + 2
        while j < len(rx) and j < i + 4 and rx[j] in "01234567":
            j += 1
        return j
    if c == "x":
        if rx[i + 2 : i + 3] == "{":
            end = rx.find("}", i + 3)
            digits = rx[i + 3 : end] if end >= 0 else ""
            if not digits or not all(d in "0123456789abcdefABCDEF" for d in digits) or int(digits, 16) > 0x10FFFF:
                raise _Re2Error(f"invalid escape {rx[i : end + 1 if end >= 0 else None]!r}", "write \\x{HHHH}")
            return end + 1
        if len(rx) < i + 4 or not all(d in "0123456789abcdefABCDEF" for d in rx[i + 2 : i + 4]):
            raise _Re2Error(f"invalid escape {rx[i : i + 4]!r}", "write \\xHH or \\x{HHHH}")
        return i + 4
    if c in "pP":
        if rx[i + 2 : i + 3] == "{":
            end = rx.find("}", i + 3)
            name = rx[i + 3 : end].lstrip("^") if end >= 0 else ""
            stop = end + 1
        else:
            name, stop = rx[i + 2 : i + 3], i + 3
        if name not in _UNICODE_CLASSES:
            raise _Re2Error(
                f"unknown Unicode class in {rx[i:stop]!r}",
                "use a category such as \\pL or a script such as \\p{Hangul}",
            )
        return stop
    if c in "dDsSwW" or c in "aftnrv" or (not in_class and c in "AzbB"):
        return i + 2
    if c.isascii() and not c.isalnum():
        return i + 2  # escaped punctuation (and _) is a literal
    hint = {
        "Z": "use \\z (end of text)",
        "k": "RE2 has no backreferences",
        "g": "RE2 has no backreferences",
        "h": "use [ \\t]",
        "u": "write \\x{HHHH}",
        "e": "write \\x1b",
        "G": "RE2 has no \\G",
        "K": "RE2 has no \\K",
        "R": "use (?:\\r\\n|\\n|\\r)",
    }
    raise _Re2Error(
        f"invalid escape '\\{c}'", hint.get(c, "escape only punctuation, or use a class such as \\d, \\w, \\s")
    )


def _class(rx: str, i: int) -> int:
    """Check the character class starting at ``rx[i] == '['``; return the index after it."""
    j = i + 1
    if rx[j : j + 1] == "^":
        j += 1
    first, prev_single = True, None
    while True:
        if j >= len(rx):
            raise _Re2Error("missing closing ] of a character class", "close the class with ]")
        c = rx[j]
        if c == "]" and not first:
            return j + 1
        first = False
        if c == "[" and rx[j + 1 : j + 2] == ":":
            end = rx.find(":]", j + 2)
            if end >= 0:
                name = rx[j + 2 : end].lstrip("^")
                if name not in _POSIX_CLASSES:
                    raise _Re2Error(f"unknown POSIX class {rx[j : end + 2]!r}", "use e.g. [[:alpha:]] or [[:digit:]]")
                j, prev_single = end + 2, None
                continue
        if c == "-" and prev_single is not None and rx[j + 1 : j + 2] not in ("]", ""):
            lo = prev_single
            k = j + 1
            if rx[k] == "\\":
                after = _escape(rx, k, True)
                hi_text = rx[k:after]
                if hi_text[1] in "dDsSwWpP":
                    raise _Re2Error(
                        f"invalid range end {hi_text!r} in a character class", "put the class outside the range"
                    )
                hi = _escape_value(hi_text)
            else:
                after, hi = k + 1, rx[k]
            if hi is not None and lo is not None and ord(hi) < ord(lo):
                raise _Re2Error(f"invalid character class range {lo}-{hi}", "write the lower end first, e.g. a-z")
            j, prev_single = after, None
            continue
        if c == "\\":
            after = _escape(rx, j, True)
            prev_single = _escape_value(rx[j:after])
            j = after
            continue
        prev_single = c
        j += 1


def _escape_value(text: str) -> str | None:
    """The single character an escape stands for (None for classes such as \\d)."""
    c = text[1]
    if c in "dDsSwWpP":
        return None
    simple = {"a": "\a", "f": "\f", "t": "\t", "n": "\n", "r": "\r", "v": "\v"}
    if c in simple:
        return simple[c]
    if c == "x":
        return chr(int(text[3:-1] if text[2:3] == "{" else text[2:4], 16))
    if c in "01234567":
        return chr(int(text[1:], 8))
    return c


def _re2_error(rx: str) -> _Re2Error | None:
    """None if ``rx`` is valid Go RE2 syntax, else what is wrong and how to fix it."""
    atom = False  # something a repetition operator can apply to precedes
    last_repeat = False  # the previous token was a repetition (stacking them is an error)
    open_groups = 0
    i = 0
    try:
        while i < len(rx):
            c = rx[i]
            if c == "(":
                if rx[i + 1 : i + 2] == "?":
                    i, _name, kind = _perl_group(rx, i + 2)
                    if kind == "flags":
                        atom, last_repeat = False, False
                        continue
                else:
                    i += 1
                open_groups += 1
                atom, last_repeat = False, False
                continue
            if c == ")":
                if not open_groups:
                    raise _Re2Error("unexpected ) without an opening (", "remove it or escape it as \\)")
                open_groups -= 1
                i += 1
                atom, last_repeat = True, False
                continue
            if c == "|":
                i += 1
                atom, last_repeat = False, False
                continue
            if c in "*+?" or (c == "{" and _repeat(rx, i) is not None):
                if c == "{":
                    end, lo, hi = _repeat(rx, i)  # type: ignore[misc]
                    if lo > _MAX_REPEAT or (hi is not None and hi > _MAX_REPEAT) or (hi is not None and hi < lo):
                        raise _Re2Error(
                            f"invalid repeat count {rx[i:end]!r}", f"use counts up to {_MAX_REPEAT}, min <= max"
                        )
                    nxt = end
                else:
                    nxt = i + 1
                if last_repeat:
                    what = "possessive quantifier" if c == "+" else "nested repetition operator"
                    raise _Re2Error(
                        f"{what} {rx[max(0, i - 1) : nxt]!r} is not supported by RE2",
                        "use a single quantifier (possessive and atomic forms do not exist in RE2)",
                    )
                if not atom:
                    raise _Re2Error(
                        f"missing argument to repetition operator {rx[i:nxt]!r}",
                        "put something before it, or escape it",
                    )
                if rx[nxt : nxt + 1] == "?":
                    nxt += 1
                i = nxt
                last_repeat = True
                continue
            last_repeat = False
            if c == "[":
                i = _class(rx, i)
            elif c == "\\":
                if rx[i + 1 : i + 2] == "Q":
                    end = rx.find("\\E", i + 2)
                    i = len(rx) if end < 0 else end + 2
                else:
                    i = _escape(rx, i, False)
            else:
                i += 1
            atom = True
        if open_groups:
            raise _Re2Error("missing closing )", "close every ( with )")
        _check_nested_repeats(rx)
    except _Re2Error as exc:
        return exc
    return None


def _repeat(rx: str, i: int) -> tuple[int, int, int | None] | None:
    """``{n}``, ``{n,}`` or ``{n,m}`` at ``i``: (index after, n, m or None); None if it is a literal {."""
    import re

    m = re.match(r"\{([0-9]+)(,([0-9]*))?\}", rx[i:])
    if not m:
        return None
    lo = int(m.group(1))
    hi = lo if m.group(2) is None else (int(m.group(3)) if m.group(3) else None)
    return i + m.end(), lo, hi


def _check_nested_repeats(rx: str) -> None:
    """Go refuses nested {n,m} counts that multiply to more than 1000 copies, e.g. (a{100}){100}."""
    import re

    # Walk groups with a stack; a group's count applies to every {n,m} inside it.
    counts: list[list[int]] = [[]]
    opens: list[int] = []
    i = 0
    while i < len(rx):
        c = rx[i]
        if c == "\\":
            i += 2
            continue
        if c == "[":
            try:
                i = _class(rx, i)
            except _Re2Error:
                i += 1
            continue
        if c == "(":
            opens.append(i)
            counts.append([])
        elif c == ")" and opens:
            opens.pop()
            inner = counts.pop()
            rep = _repeat(rx, i + 1)
            outer = (rep[2] if rep[2] is not None else rep[1]) if rep else 1
            worst = max(inner, default=1)
            if rep and outer >= 2 and worst * outer > _MAX_REPEAT and worst > 1:
                raise _Re2Error(
                    f"nested repeat counts in {rx[: rep[0]]!r} exceed {_MAX_REPEAT} copies", "use smaller counts"
                )
            counts[-1].append(worst * outer if rep else worst)
        elif c == "{":
            rep = _repeat(rx, i)
            if rep:
                counts[-1].append(rep[2] if rep[2] is not None else rep[1])
        i += 1
    del re


def check_re2(regex: str, *, key: str) -> None:
    """Raise :class:`LlmobsError` (where=llmobs.yaml, key) unless ``regex`` is valid Go RE2 syntax."""
    if not regex:
        raise LlmobsError("empty regex", where="llmobs.yaml", key=key, fix="write a pattern, e.g. 'EMP-[0-9]{6}'")
    error = _re2_error(regex)
    if error is not None:
        raise LlmobsError(
            f"{error.problem} (the collector uses Go RE2 syntax)", where="llmobs.yaml", key=key, fix=error.fix
        )
