"""The settings-time check of user PII patterns (``pii.patterns[i].regex``).

Masking itself is done in the collector by the llmobs processor
(collector/processor/llmobsprocessor/internal/pii: detectors with checksums,
one linear scan per value, structured values walked in place); its README
section "PII masking" lists what is masked and how. User patterns run there
with Go's regexp (``pii.CheckPattern``, RE2 syntax): an invalid one would stop
the collector at start-up, so the settings model refuses it when llmobs.yaml,
``LLMOBS_*`` and ``--set`` are loaded (``llmobs.config`` names the source).

The syntax check is Google's RE2 itself (the ``google-re2`` bindings, imported
only when there is a pattern to check), plus the few rules where Go's regexp,
the real consumer, is stricter than C++ RE2; tests/test_pii.py compares the
verdicts with Go's on collector/processor/llmobsprocessor/internal/pii/testdata/re2_cases.json.
"""

from __future__ import annotations

from functools import cache
from typing import Any

# Go's regexp/syntax (1.25 on) looks a \p{NAME} up by a canonical form of NAME (first letter upper,
# the rest lower, no "_", "-" or " "): in its category and script tables (whose two-word script names,
# such as Old_Italic, no canonical form reaches), then in a few extra names and unicode.CategoryAliases.
# C++ RE2 knows the tables' names as written and none of the extras: for RE2's verdict each extra
# becomes a class RE2 knows (the same set; for LC, Cn, Assigned and ASCII a superset).
_GO_EXTRA_CLASSES = (
    "Any=Any Assigned=Any ASCII=Any LC=L Cn=Any Cased_Letter=L Close_Punctuation=Pe Combining_Mark=M "
    "Connector_Punctuation=Pc Control=Cc Currency_Symbol=Sc Dash_Punctuation=Pd Decimal_Number=Nd "
    "Enclosing_Mark=Me Final_Punctuation=Pf Format=Cf Initial_Punctuation=Pi Letter=L Letter_Number=Nl "
    "Line_Separator=Zl Lowercase_Letter=Ll Mark=M Math_Symbol=Sm Modifier_Letter=Lm Modifier_Symbol=Sk "
    "Nonspacing_Mark=Mn Number=N Open_Punctuation=Ps Other=C Other_Letter=Lo Other_Number=No "
    "Other_Punctuation=Po Other_Symbol=So Paragraph_Separator=Zp Private_Use=Co Punctuation=P Separator=Z "
    "Space_Separator=Zs Spacing_Mark=Mc Surrogate=Cs Symbol=S Titlecase_Letter=Lt Unassigned=Any "
    "Uppercase_Letter=Lu cntrl=Cc digit=Nd punct=P"
)

# Go refuses a parse tree higher than 1000 ("expression nests too deeply"); one group adds at most four
# levels (repetition, capture, alternation, concatenation) and the top and the innermost atom two each,
# so 249 nested groups always fit. Deeper nesting is refused here even where Go's tree would still fit.
_MAX_GROUP_DEPTH = 249


class PatternError(ValueError):
    """A pattern the collector would refuse: what is wrong and what to write instead.

    A ValueError so that a pydantic validator raising it becomes a ValidationError, which
    ``llmobs.config`` turns into one line naming the pattern's source.
    """

    def __init__(self, problem: str, fix: str) -> None:
        super().__init__(f"{problem} (fix: {fix})")
        self.problem, self.fix = problem, fix


def check_pattern(regex: str) -> None:
    """Raise :class:`PatternError` unless the llmobs processor accepts ``regex`` as a user pattern."""
    if not regex:  # Go compiles "", but pii.CheckPattern refuses it: it would mask nothing
        raise PatternError("empty regex", "write a pattern, e.g. 'EMP-[0-9]{6}'")
    for_re2 = _go_only_rules(regex)
    error = _re2_error(for_re2)
    if error is not None:
        raise PatternError(
            f"{error} (the collector compiles user patterns with Go's regexp, RE2 syntax)", _fix_for(error, regex)
        )


@cache
def _re2_options() -> Any:
    import re2  # ~10 ms: only when a pattern is checked

    options = re2.Options()
    options.log_errors = False  # RE2 would print every refused pattern on stderr
    return options


def _re2_error(regex: str) -> str | None:
    """C++ RE2's complaint about ``regex`` (Perl syntax, as Go's regexp.Compile), or None.

    RE2 also compiles the pattern, within its default 8 MiB program budget: it refuses a few huge
    patterns Go would take, e.g. \\pL{1000} (Go counts a class as one instruction, RE2 expands it to
    UTF-8 byte ranges), and never takes one that Go refuses as too large. Refusing those is deliberate
    (the test's cases marked llmobs_refuses): a PII rule that size is a mistake, and raising the
    budget makes the check take seconds and hundreds of MB.
    """
    import re2

    try:
        re2.compile(regex, _re2_options())
    except re2.error as exc:
        message = exc.args[0] if exc.args else "invalid pattern"
        return message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
    return None


@cache
def _re2_knows_class(canonical: str) -> bool:
    return _re2_error(f"\\p{{{canonical}}}") is None


def _go_canonical(name: str) -> str:
    """Go's regexp/syntax canonicalName: first letter upper, the rest lower, "_", "-" and " " dropped."""
    out: list[str] = []
    for ch in name:
        if ch in "_- ":
            continue
        if not out and "a" <= ch <= "z":
            ch = ch.upper()
        elif out and "A" <= ch <= "Z":
            ch = ch.lower()
        out.append(ch)
    return "".join(out)


_GO_EXTRAS = {_go_canonical(go): re2 for go, _, re2 in (pair.partition("=") for pair in _GO_EXTRA_CLASSES.split())}


def _go_only_rules(regex: str) -> str:
    """Refuse what Go's regexp refuses and C++ RE2 accepts; return ``regex`` ready for RE2's verdict.

    Not a parser: a scan that tells escapes, ``\\Q...\\E`` literals and character classes apart, so
    that it finds the constructs the two engines treat differently (see the differential test's
    cases for each): ``\\C``; named groups with non-ASCII names; ``\\p{NAME}`` looked up as Go does it
    (a name Go knows is passed on as RE2 spells it, so RE2 judges the rest); nesting depth.
    """
    out: list[str] = []
    depth = deepest = 0
    in_class = False
    i, n = 0, len(regex)
    while i < n:
        c = regex[i]
        if c == "\\" and i + 1 < n:
            nxt = regex[i + 1]
            if nxt == "Q" and not in_class:  # literal text up to \E (or the end)
                end = regex.find("\\E", i + 2)
                stop = n if end < 0 else end + 2
                out.append(regex[i:stop])
                i = stop
                continue
            if nxt == "C":
                raise PatternError(
                    "invalid escape sequence: \\C (Go's regexp has no 'any byte' escape)",
                    "match one character with . (or (?s:.) to include newlines)",
                )
            if nxt in "pP":
                i = _unicode_class(regex, i, out)
                continue
            out.append(regex[i : i + 2])
            i += 2
            continue
        if in_class:
            if regex.startswith("[:", i) and (end := regex.find(":]", i + 2)) >= 0:
                out.append(regex[i : end + 2])
                i = end + 2
                continue
            in_class = c != "]"
        elif c == "[":
            in_class = True
            start = i + 1 + (regex[i + 1 : i + 2] == "^")
            if regex[start : start + 1] == "]":  # a ] first in a class is a literal
                start += 1
            out.append(regex[i:start])
            i = start
            continue
        elif c == "(":
            _check_group_name(regex, i)
            depth += 1
            deepest = max(deepest, depth)
        elif c == ")":
            depth = max(0, depth - 1)
        out.append(c)
        i += 1
    if deepest > _MAX_GROUP_DEPTH:
        raise PatternError(
            f"groups nested {deepest} deep (Go's regexp refuses expressions that nest too deeply)",
            f"nest at most {_MAX_GROUP_DEPTH} groups",
        )
    return "".join(out)


def _unicode_class(regex: str, i: int, out: list[str]) -> int:
    """Check the \\p or \\P escape at ``i`` by Go's lookup; append what RE2 should see; return the index after."""
    if i + 2 >= len(regex):
        out.append(regex[i:])
        return len(regex)
    if regex[i + 2] != "{":
        seq, name = regex[i : i + 3], regex[i + 2]
    else:
        end = regex.find("}", i)
        if end < 0:  # RE2 reports the missing } as Go does
            out.append(regex[i:])
            return len(regex)
        seq, name = regex[i : end + 1], regex[i + 3 : end]
    canonical = _go_canonical(name.removeprefix("^"))
    known = _GO_EXTRAS.get(canonical) or (canonical if _re2_knows_class(canonical) else None)
    if known is None:
        raise PatternError(
            f"unknown Unicode class {seq} for Go's regexp",
            "use a category such as \\pL or \\p{Letter}, or a one-word script such as \\p{Greek}; "
            "Go cannot find scripts with two-word names such as Old_Italic: write their code-point range",
        )
    out.append(f"\\{regex[i + 1]}{{{known}}}")
    return i + len(seq)


def _check_group_name(regex: str, i: int) -> None:
    """Go allows only ASCII letters, digits and _ in (?P<name>...) and (?<name>...); RE2 also allows other letters."""
    for opener in ("(?P<", "(?<"):
        if regex.startswith(opener, i) and not regex.startswith(("(?<=", "(?<!"), i):
            end = regex.find(">", i)
            name = regex[i + len(opener) : end] if end >= 0 else ""
            if not name.isascii():
                raise PatternError(
                    f"invalid named capture group {regex[i : end + 1]} (Go's regexp allows only ASCII names)",
                    "name the group with A-Z, a-z, 0-9 and _",
                )


# What to write instead, by RE2's error text (re2/re2.cc CodeText) and, where it helps, the construct.
_FIXES = {
    "invalid escape sequence": "escape only punctuation, or use a class such as \\d, \\w, \\s",
    "invalid character class range": "write the lower end of a range first, e.g. a-z",
    "invalid character class": "POSIX classes are written [[:alpha:]], [[:digit:]], ...",
    "missing ]": "close the character class with ]",
    "missing )": "close every ( with )",
    "unexpected )": "remove the ) or escape it as \\)",
    "trailing \\": "escape a final backslash as \\\\",
    "no argument for repetition operator": "put something before the *, + or ?, or escape it",
    "invalid repetition size": "use repeat counts up to 1000, min <= max (nested counts multiply, 1000 in all)",
    "bad repetition operator": "use a single quantifier (RE2 has no possessive forms such as a*+ or a++)",
    "invalid perl operator": "RE2 groups are (?:...), (?P<name>...) and the flags i, m, s, U as in (?i) or (?i:...)",
    "invalid named capture group": "write (?P<name>...) with a name of letters, digits and _",
    "pattern too large": "use smaller repeat counts or fewer alternatives",
}
_CONSTRUCT_FIXES = (
    (("(?=", "(?!", "(?<=", "(?<!"), "RE2 has no look-arounds: match the surrounding text instead (e.g. with \\b)"),
    (("(?>",), "RE2 has no atomic groups: use a plain group (?:...)"),
    (tuple(f"\\{d}" for d in "123456789"), "RE2 has no backreferences: repeat the sub-pattern"),
    (("\\Z",), "use \\z (end of text)"),
    (("[:",), "POSIX classes are [[:alpha:]], [[:digit:]], [[:space:]], ... (negated: [[:^alpha:]])"),
)


def _fix_for(error: str, regex: str) -> str:
    kind, _, construct = error.partition(": ")
    if construct == "(?P" and ("(?P=" in regex or "(?P>" in regex):  # RE2 quotes only "(?P"
        return "RE2 has no backreferences or recursion: repeat the sub-pattern"
    for starts, fix in _CONSTRUCT_FIXES:
        if construct.startswith(starts):
            return fix
    return next((fix for prefix, fix in _FIXES.items() if kind.startswith(prefix)), "see RE2's syntax reference")
