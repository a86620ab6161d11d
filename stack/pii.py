"""PII masking rules for the collector: OTTL for the ``transform/pii`` processor.

Typed placeholders (mode ``mask``)
    ``[EMAIL]``   e-mail addresses
    ``[PHONE]``   phone numbers: international ``+CC ...`` (8-15 digits), US/NANP with separators
                  (``(415) 555-2671``, ``415.555.2671``, ``1-800-555-0199``), trunk-prefixed national
                  numbers with separators (``020 7946 0958``, Korean ``02-312-3456``) and Korean
                  mobiles (``010-1234-5678``, ``01012345678``)
    ``[CARD]``    payment cards by issuer prefix (Visa, Mastercard incl. 2-series, Amex, Diners,
                  Discover, JCB, UnionPay, Maestro), 13-19 digits, plain or grouped by spaces/dashes
    ``[SSN]``     US social security numbers ``123-45-6789`` / ``123 45 6789`` (invalid areas excluded)
    ``[KR_RRN]``  Korean resident registration numbers ``YYMMDD-[1-4]NNNNNN`` (dash optional,
                  the date part must be a valid month/day)
    ``[IBAN]``    IBANs (two letters, two check digits, 11-30 letters/digits), plain or grouped by 4
    ``[IP]``      IPv4 addresses and IPv6 addresses (full, ``::``-compressed, IPv4-mapped)
    ``[SECRET]``  API keys and tokens: OpenAI/Anthropic/DeepSeek ``sk-...``, Stripe, AWS access key
                  ids, GitHub, GitLab, Slack, Google ``AIza``/``ya29.``, Hugging Face, Groq, xAI,
                  npm, SendGrid, JWTs, PEM private keys; and the value after ``Bearer``, ``Basic``
                  (in an Authorization header), ``password=``, ``api_key:``, ``client_secret``,
                  ``aws_secret_access_key`` and the like, and the password in ``scheme://user:pw@``.
    ``[NAME]``    each user pattern from ``pii.patterns`` (applied first, before the built-ins).

What is masked, and how
    Every string value of span attributes, span-event attributes and log-record attributes,
    and log bodies, except the keys in :data:`EXEMPT_KEYS` (model names, provider, operation,
    ids, server address: the values dashboards, cost and correlation need). Int, double and
    bool attributes are never touched. Resource attributes are not masked.

    Structured values (maps and lists, as the GenAI conventions record messages) of the keys
    in :data:`STRUCTURED_KEYS`, and map/list log bodies, are serialised to JSON, masked as text,
    and parsed back only when something was masked: clean structured values are left exactly
    as they arrived. A masked one comes back structured, with JSON's limits (keys sorted,
    nested integers become doubles); should it not parse, the masked JSON string is kept, so
    a failure can never let the unmasked value through.

    The patterns are RE2 (Go ``regexp``); how they find boundaries, and the markers and gates
    that keep them fast, are described at ``MARK`` below. Known limits: card numbers are
    recognised by issuer prefix and length, not by the Luhn check digit (OTTL cannot run
    ``IsValidLuhn`` on a match inside a text), so a 13-19 digit run that starts like a card
    (4..., 51-55..., 34/37...) is masked as [CARD]; "$" in a user pattern anchors at the end of
    the whole value (inside a structured value that is the end of its JSON text).

Modes
    ``mask`` (default) as above. ``drop`` deletes the GenAI content (:data:`CONTENT_KEYS` and
    the OpenLLMetry/OpenInference indexed content keys on spans, span events and logs, and
    the body of GenAI event log records, ``gen_ai.*`` event names) and masks everything else
    as in ``mask``. ``off``: the template leaves the processor out.

Processing order and the flat-style trap
    In a transform processor's flat ``trace_statements`` list the collector (v0.161) puts
    every statement in one group with the lowest context it sees: mixing ``span.`` and
    ``spanevent.`` lines runs the span lines once per event, and never on spans without
    events. The trace rules are therefore two groups, span then span event
    (:attr:`PiiRules.trace_groups`); ``trace_statements`` lists both, in that order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from llmobs import names as n
from llmobs.errors import LlmobsError
from llmobs.normalize import ottl_str
from llmobs.settings import Pii

# --- keys ------------------------------------------------------------------------------------

# Never masked: what cost, metrics, dashboards and correlation read. Values of these keys are
# identifiers, not free text (and a model name such as "gpt-4o-2024-08-06" must stay intact).
EXEMPT_KEYS = (
    n.PROVIDER,
    "gen_ai.system",
    n.OPERATION,
    n.REQUEST_MODEL,
    n.RESPONSE_MODEL,
    "gen_ai.response.id",
    "gen_ai.tool.call.id",
    "gen_ai.tool.name",
    "gen_ai.tool.type",
    "gen_ai.agent.id",
    "gen_ai.agent.name",
    "gen_ai.conversation.id",
    "gen_ai.data_source.id",
    "gen_ai.output.type",
    "gen_ai.evaluation.name",
    "gen_ai.embeddings.dimension.count",
    n.ERROR_TYPE,
    "server.address",
    "server.port",
    "event.name",
    "llm.model_name",
    "llm.provider",
    "llm.system",
    "openinference.span.kind",
    n.COST_ATTR,
    n.UNPRICED_ATTR,
)

# GenAI content: deleted in drop mode (span, span-event and log attributes).
CONTENT_KEYS = (
    "gen_ai.input.messages",
    "gen_ai.output.messages",
    "gen_ai.system_instructions",
    "gen_ai.tool.call.arguments",
    "gen_ai.tool.call.result",
    "gen_ai.retrieval.query.text",
    "gen_ai.retrieval.documents",
    "gen_ai.prompt",
    "gen_ai.completion",
    "input.value",
    "output.value",
)
# Indexed content keys of OpenLLMetry (gen_ai.prompt.0.content) and OpenInference
# (llm.input_messages.0.message.content), deleted in drop mode.
CONTENT_KEY_PATTERN = r"^(?:gen_ai\.(?:prompt|completion)\.\d+\.|llm\.(?:input|output)_messages\.)"

# Keys whose value may be a map or a list (masked through JSON); string values of every key
# are masked directly.
STRUCTURED_KEYS = (
    *CONTENT_KEYS,
    "gen_ai.tool.definitions",
    "exception.message",
)

# GenAI event records (log records) whose body is content: dropped in drop mode.
GENAI_EVENT_PATTERN = r"^gen_ai\."

# --- patterns --------------------------------------------------------------------------------

# How the patterns find a boundary, and why there are markers
#   Go's regexp scans fast only for a pattern that starts with a literal; one that starts with a
#   class or \b costs a full scan per pattern (~100 us per 2 KB in the collector). So, before
#   the patterns run, two cheap passes put a private-use marker (U+E002) into the text:
#   after every JSON escape (\n, \", \u003c ...; structured values and JSON strings) and before
#   every digit run that could be a number worth masking (\b + 7 digits/separators). Every
#   number pattern then starts with the marker (a literal: fast) and tolerates markers after
#   its separators; the marker also serves as the boundary after a JSON escape, so "\n4111..."
#   is found and no pattern cuts an escape in two. The markers are removed afterwards (text
#   that itself contains U+E002 loses it). Other patterns start with \b (RE2's \b is
#   ASCII-only, so Korean or other text directly around a value counts as a boundary) and run
#   only when a cheap literal-first "gate" regex finds a hint in the record.
MARK = "\ue002"
_M = MARK + "?"  # an optional marker after a separator inside a number
ESCAPE = r'\\(?:[nrtbf"/\\]|u[0-9A-Fa-f]{4})'
NUMBER_START = r"\b[0-9][0-9 .()/-]{6}"


@dataclass(frozen=True)
class Rule:
    """One regex and its replacement; ``gates`` are cheap literal-first regexes, one of which must
    match somewhere in the record for the rule to run (none: always runs)."""

    kind: str
    regex: str
    replacement: str
    gates: tuple[str, ...] = ()


def _alt(*parts: str) -> str:
    return "(?:" + "|".join(parts) + ")"


def _lit(text: str) -> str:
    """A regex matching ``text`` literally (so Go's literal-prefix scan applies)."""
    return "".join("\\" + c if c in ".+*?()[]{}|^$\\" else c for c in text)


# (literal prefix, rest of the token): API keys and tokens with a recognisable prefix.
_TOKENS = (
    ("sk-", r"(?:ant-|proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}"),  # OpenAI, Anthropic, DeepSeek, ...
    ("sk_live_", r"[A-Za-z0-9]{16,}"),  # Stripe
    ("sk_test_", r"[A-Za-z0-9]{16,}"),
    ("rk_live_", r"[A-Za-z0-9]{16,}"),
    *((p, r"[A-Z0-9]{16}") for p in ("AKIA", "ASIA", "ABIA", "ACCA", "AGPA", "AIDA", "AIPA", "ANPA", "AROA")),
    *((f"gh{c}_", r"[A-Za-z0-9]{30,}") for c in "pousr"),  # GitHub
    ("github_pat_", r"[A-Za-z0-9_]{30,}"),
    ("glpat-", r"[A-Za-z0-9_-]{20,}"),  # GitLab
    *((f"xox{c}-", r"[A-Za-z0-9-]{10,}") for c in "abposr"),  # Slack
    ("xapp-", r"[0-9]-[A-Za-z0-9-]{10,}"),
    ("AIza", r"[0-9A-Za-z_-]{35}"),  # Google API key
    ("ya29.", r"[0-9A-Za-z_-]{20,}"),  # Google OAuth access token
    ("hf_", r"[A-Za-z0-9]{30,}"),  # Hugging Face
    ("gsk_", r"[A-Za-z0-9]{40,}"),  # Groq
    ("xai-", r"[A-Za-z0-9]{40,}"),  # xAI
    ("npm_", r"[A-Za-z0-9]{36}"),  # npm
    ("SG.", r"[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}"),  # SendGrid
    ("eyJ", r"[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),  # JWT
)
# Tokens grouped by first letter: one pattern (and one set of gates) per group.
_TOKEN_GROUPS: dict[str, list[tuple[str, str]]] = {}
for _prefix, _rest in _TOKENS:
    _TOKEN_GROUPS.setdefault(_prefix[0], []).append((_prefix, _rest))


def _common_prefix(words: list[str]) -> str:
    first = words[0]
    n = 0
    while n < len(first) and all(len(w) > n and w[n] == first[n] for w in words):
        n += 1
    return first[:n]


def _token_rule(group: list[tuple[str, str]]) -> Rule:
    """One rule for tokens sharing a first letter; its gate is the same pattern with the common
    prefix written first (a literal, so the gate is a fast scan) and no \\b."""
    common = _common_prefix([p for p, _ in group])
    gate = _lit(common) + _alt(*(_lit(p[len(common) :]) + r for p, r in group))
    return Rule("SECRET", r"\b" + gate, "[SECRET]", (gate,))


# PEM private keys (any text between the armour lines; in JSON text newlines are "\n").
_PRIVATE_KEY = r"-----BEGIN[A-Z ]{0,20}PRIVATE KEY-----[\s\S]*?-----END[A-Z ]{0,20}PRIVATE KEY-----"
# Secrets found by what precedes them; group 1 (the context) is kept.
_SECRET_WORDS = (
    "password|passwd|passphrase|pwd|secret[_-]?key|client[_-]?secret|api[_-]?secret|app[_-]?secret"
    "|api[ _-]?key|apikey|x-api-key|access[ _-]?key(?:[_-]?id)?|private[_-]?key|auth[_-]?token|access[_-]?token"
    "|refresh[_-]?token|session[_-]?token|secret[_-]?access[_-]?key|aws[_-]?secret(?:[_-]?access)?[_-]?key"
)
_KO_WORDS = ("비밀번호", "패스워드", "암호")


def _json_escaped(word: str) -> str:
    """``word`` as json.dumps (ensure_ascii) writes it: \\uXXXX each, a marker allowed after each."""
    return "".join(rf"\\u(?i:{ord(c):04x}){_M}" for c in word)


# No \b before these: RE2's \b is ASCII-only.
_SECRET_WORDS_KO = "|".join([*_KO_WORDS, *(_json_escaped(w) for w in _KO_WORDS)])
_QUOTE = r"""(?:\\?["']""" + _M + ")?"
_ASSIGN = _QUOTE + r"\s*[:=]\s*" + _QUOTE
_SECRET_CONTEXT = (
    r"((?:(?:\b(?:[A-Za-z0-9]+[_.-]){0,3}(?i:"
    + _SECRET_WORDS
    + ")|"
    + _SECRET_WORDS_KO
    + ")"
    + _ASSIGN
    + r"|(?:\b|"
    + MARK
    + r")(?i:bearer)\s+|(?:\b|"
    + MARK
    + r")(?i:authorization)"
    + _ASSIGN
    + r"(?i:basic)\s+))"
    + r"[^\s\"'\\,;<>(){}\[\]"
    + MARK
    + r"]{4,}"
)
# Gates: the end of each context word (any case of its first letter), then ":" or "=".
_SECRET_CONTEXT_GATES = (
    *(
        _lit(w) + r"(?:\\*[\"'])?\s*[:=]"
        for w in (
            *("assword", "ASSWORD", "asswd", "ASSWD", "assphrase", "pwd", "PWD", "Pwd", "ecret", "ECRET"),
            *("ey", "EY", "oken", "OKEN", "uthorization", "UTHORIZATION", *_KO_WORDS),
            *(f"u{ord(w[-1]):04x}" for w in _KO_WORDS),
            *(f"u{ord(w[-1]):04X}" for w in _KO_WORDS),
        )
    ),
    r"earer\s",
    r"EARER\s",
)
# scheme://user:password@host -> scheme://user:[SECRET]@host
_URL_PASSWORD = r"(://[^\s:/@\"'\\]{1,64}:)[^\s/@\"'\\]{1,128}@"

_EMAIL = (
    r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*\.[A-Za-z]{2,24}\b"
)

# IBAN: country code, check digits, 11-30 letters/digits, plain or in groups of four.
_IBAN = r"\b[A-Z]{2}[0-9]{2}(?:[ -]?[A-Z0-9]{4}){2,7}(?:[ -]?[A-Z0-9]{1,3})?\b"

# Korean RRN: YYMMDD, optional dash (spaces around it allowed) or space, gender/century digit 1-4, six digits.
_KR_RRN = MARK + r"[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])(?:(?: ?- ?| )" + _M + r")?[1-4][0-9]{6}\b"

# Card issuer prefixes (first four digits).
_IIN = _alt(
    r"4[0-9]{3}",  # Visa
    r"5[1-5][0-9]{2}",  # Mastercard
    r"2(?:22[1-9]|2[3-9][0-9]|[3-6][0-9]{2}|7[01][0-9]|720)",  # Mastercard 2-series
    r"3[47][0-9]{2}",  # Amex
    r"3(?:0[0-5]|[68][0-9])[0-9]",  # Diners
    r"35(?:2[89]|[3-8][0-9])",  # JCB
    r"6(?:011|5[0-9]{2}|4[4-9][0-9]|2[0-9]{2})",  # Discover, UnionPay
    r"(?:5[06-9]|6[0-9])[0-9]{2}",  # Maestro
)
_SEP = "[ -]" + _M
_CSEP = "[ .-]" + _M
_CARD = (
    MARK
    + _IIN
    + _alt(
        rf"(?:{_CSEP}[0-9]{{4}}){{3}}(?:{_CSEP}[0-9]{{1,3}})?",  # 4-4-4-4(-1..3)
        rf"{_CSEP}[0-9]{{6}}{_CSEP}[0-9]{{4,5}}",  # Amex 4-6-5, Diners 4-6-4
        r"[0-9]{9,15}",  # plain 13-19 digits
    )
    + r"\b"
)

_SSN = (
    MARK
    + r"(?:00[1-9]|0[1-9][0-9]|[1-578][0-9]{2}|6[0-57-9][0-9]|66[0-57-9])"
    + _SEP
    + r"(?:0[1-9]|[1-9][0-9])"
    + _SEP
    + r"(?:000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})\b"
)

_PSEP = "[ .-]" + _M
# International: "+", then 8-15 digits in groups ("+1 (415) 555-2671", "+82 10-1234-5678").
_PHONE_INTL = r"\+" + _M + r"[1-9](?:[ .()-]{0,2}" + _M + r"[0-9]){7,14}\b"
_PHONE_PAREN = (
    _alt(
        rf"\({_M}[2-9][0-9]{{2}}\)[ .-]?{_M}[2-9][0-9]{{2}}{_PSEP}[0-9]{{4}}",  # (415) 555-2671
        rf"\({_M}0[1-9][0-9]{{0,3}}\)[ .-]?{_M}[0-9]{{3,4}}{_PSEP}[0-9]{{4}}",  # (02) 312-3456
    )
    + r"\b"
)
_PHONE_NATIONAL = (
    MARK
    + _alt(
        rf"(?:1{_PSEP})?[2-9][0-9]{{2}}{_PSEP}[2-9][0-9]{{2}}{_PSEP}[0-9]{{4}}",  # 415-555-2671, 1-800-555-0199
        rf"1[ .-]?\({_M}[2-9][0-9]{{2}}\)[ .-]?{_M}[2-9][0-9]{{2}}{_PSEP}[0-9]{{4}}",  # 1 (415) 555-2671
        rf"0[1-9][0-9]{{0,3}}{_PSEP}[0-9]{{3,4}}{_PSEP}[0-9]{{4}}",  # 02-312-3456, 010-1234-5678, 020 7946 0958
        rf"0[1-9][0-9]{{3}} {_M}[0-9]{{6}}",  # 07700 900123
        r"01[016789][0-9]{7,8}",  # 01012345678
        rf"(?:00)?82{_PSEP}?(?:1[016789]|2|[3-6][1-5]|70){_PSEP}?[0-9]{{3,4}}{_PSEP}?[0-9]{{4}}",  # 82-10-1234-5678
    )
    + r"\b"
)

_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
_IPV4 = MARK + _OCTET + r"(?:\." + _M + _OCTET + r"){3}\b"
_H = r"[0-9A-Fa-f]{1,4}"
_IPV6 = r"\b" + _alt(rf"(?:{_H}:){{7}}{_H}", rf"(?:{_H}:){{1,6}}:{_H}(?::{_H}){{0,5}}") + r"\b"


# Rules that run before the number markers are inserted (they must not see them inside a token) ...
RULES_TEXT: tuple[Rule, ...] = (
    Rule("SECRET", _PRIVATE_KEY, "[SECRET]"),
    *(_token_rule(group) for group in _TOKEN_GROUPS.values()),
    Rule("SECRET", _SECRET_CONTEXT, "${1}[SECRET]", _SECRET_CONTEXT_GATES),
    Rule("SECRET", _URL_PASSWORD, "${1}[SECRET]@"),
    Rule("EMAIL", _EMAIL, "[EMAIL]", ("@",)),
    Rule("IBAN", _IBAN, "[IBAN]"),
    Rule("IP", _IPV6, "[IP]", ("::", rf":{_H}:{_H}:{_H}:")),
)
# ... and the number rules, which start with a marker.
RULES_NUMBERS: tuple[Rule, ...] = (
    Rule("KR_RRN", _KR_RRN, "[KR_RRN]"),
    Rule("CARD", _CARD, "[CARD]"),
    Rule("SSN", _SSN, "[SSN]"),
    Rule("PHONE", _PHONE_INTL, "[PHONE]"),
    Rule("PHONE", _PHONE_PAREN, "[PHONE]"),
    Rule("PHONE", _PHONE_NATIONAL, "[PHONE]"),
    Rule("IP", r"::[fF]{4}:" + _M + _IPV4[len(MARK) :], "[IP]"),
    Rule("IP", _IPV4, "[IP]"),
)
RULES = RULES_TEXT + RULES_NUMBERS
PLACEHOLDERS = tuple(dict.fromkeys(f"[{r.kind}]" for r in RULES))


# --- statements ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PiiRules:
    """OTTL for ``transform/pii``: flat statements with context prefixes.

    ``trace_statements`` holds the span-context statements followed by the span-event ones;
    render them as :attr:`trace_groups` (one group per context), never as one flat list.
    """

    mode: str
    trace_statements: list[str] = field(default_factory=list)
    log_statements: list[str] = field(default_factory=list)
    trace_groups: list[dict[str, object]] = field(default_factory=list)


def _dollars(statement: str) -> str:
    """Escape ``$`` for the collector's config expansion (``$$`` is a literal ``$``)."""
    return statement.replace("$", "$$")


def _key(path: str, key: str) -> str:
    return f"{path}[{ottl_str(key)}]"


def _structured(value: str) -> str:
    return f"(IsMap({value}) or IsList({value}))"


def _user_rules(pii: Pii) -> list[Rule]:
    return [Rule(p.name, p.regex, f"[{p.name}]") for p in pii.patterns]


def _context(ctx: str, mode: str, user: list[Rule]) -> list[str]:
    """Statements for one context (span, spanevent or log); see the module docstring."""
    attrs, cache = f"{ctx}.attributes", f"{ctx}.cache"
    out: list[str] = []
    if mode == "drop":
        out += [f"delete_key({attrs}, {ottl_str(k)})" for k in CONTENT_KEYS]
        out.append(f"delete_matching_keys({attrs}, {ottl_str(CONTENT_KEY_PATTERN)})")
        if ctx == "log":
            genai = ottl_str(GENAI_EVENT_PATTERN)
            out.append(
                f'set(log.body, "") where (log.event_name != nil and IsMatch(log.event_name, {genai}))'
                f' or (log.attributes["event.name"] != nil and IsMatch(log.attributes["event.name"], {genai}))'
            )
    # Structured values and the log body go to the cache as text, masked with the attributes.
    temps: list[tuple[str, str]] = []  # (cache path, where it came from)
    for key in STRUCTURED_KEYS:
        if mode == "drop" and key in CONTENT_KEYS:
            continue
        src, tmp = _key(attrs, key), _key(cache, "json:" + key)
        out.append(f"set({tmp}, String({src})) where {_structured(src)}")
        temps.append((tmp, src))
    if ctx == "log":
        out.append(f"set({_key(cache, 'body')}, log.body) where IsString(log.body)")
        out.append(f"set({_key(cache, 'json:body')}, String(log.body)) where {_structured('log.body')}")
        temps.append((_key(cache, "json:body"), "log.body"))
    # Map values in the cache are skipped by the masking: the text the gates look at, and the
    # exempt keys' values (missing ones become empty values, which "update" never writes back).
    text = f'Concat([String({attrs}), String(log.body)], " ")' if ctx == "log" else f"String({attrs})"
    gate = f'{cache}["gate"]["text"]'
    out.append(f'set({_key(cache, "gate")}, {{"text": {text}}})')
    keep = _key(cache, "keep")
    saved = ", ".join(f"{ottl_str(k)}: {_key(attrs, k)}" for k in EXEMPT_KEYS)
    out.append(f"set({keep}, {{{saved}}})")

    def run(rule: Rule) -> list[str]:
        where = ""
        if rule.gates:  # no gate text (should not happen): run anyway
            where = f" where {gate} == nil or " + " or ".join(f"IsMatch({gate}, {ottl_str(g)})" for g in rule.gates)
        return [
            f'replace_all_patterns({m}, "value", {ottl_str(rule.regex)}, {ottl_str(rule.replacement)}){where}'
            for m in (attrs, cache)
        ]

    out += run(Rule("", ESCAPE, "${0}" + MARK))
    for rule in (*user, *RULES_TEXT):
        out += run(rule)
    out += run(Rule("", NUMBER_START, MARK + "${0}"))
    for rule in RULES_NUMBERS:
        out += run(rule)
    out += run(Rule("", MARK, ""))
    out.append(f'merge_maps({attrs}, {keep}, "update")')
    if ctx == "log":
        body = _key(cache, "body")
        out.append(f"set(log.body, {body}) where {body} != nil and {body} != log.body")
    masked = ottl_str(r"\[(?:" + "|".join(sorted({r.kind for r in (*user, *RULES)})) + r")\]")
    for tmp, src in temps:
        out.append(f"set({src}, ParseJSON({tmp})) where {tmp} != nil and IsMatch({tmp}, {masked})")
        # Did not parse back: keep the masked text rather than the unmasked value.
        out.append(
            f"set({src}, {tmp}) where {tmp} != nil and IsMatch({tmp}, {masked}) and {_structured(src)}"
            f" and String({src}) != {tmp}"
        )
    return out


def rules(pii: Pii) -> PiiRules:
    """The ``transform/pii`` statements for ``pii.mode`` (empty for ``off``)."""
    if pii.mode == "off":
        return PiiRules(mode=pii.mode)
    for i, pattern in enumerate(pii.patterns):
        check_re2(pattern.regex, key=f"pii.patterns[{i}].regex")
    user = _user_rules(pii)
    span = [_dollars(s) for s in _context("span", pii.mode, user)]
    event = [_dollars(s) for s in _context("spanevent", pii.mode, user)]
    log = [_dollars(s) for s in _context("log", pii.mode, user)]
    groups: list[dict[str, object]] = [
        {"context": "span", "statements": span},
        {"context": "spanevent", "statements": event},
    ]
    return PiiRules(mode=pii.mode, trace_statements=span + event, log_statements=log, trace_groups=groups)


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
