"""Credentials masked out of everything we record, keeping their shape: `sk-proj-****`, `AKIA****`,
`postgres://ada:****@db`, `"password": "****"`.

    redactor = Redactor(["acme-[0-9]{8}", my_rule])   # user rules: regexes and callables (str -> str)
    redactor.text("key sk-proj-AbC123...")           # "key sk-proj-****"
    redactor.value("db.password", "hunter2")         # "****": the name says it is a credential

Built-in rules: provider API keys (OpenAI, Anthropic, Groq, xAI, Hugging Face, Stripe), AWS access
key ids, GitHub, Google and Slack tokens, JWTs, PEM private key blocks, passwords in URLs, bearer and
basic credentials, and the value of any key or variable whose name holds password, passwd,
passphrase, secret, token, api_key/apikey, private_key, access_key, credential, authorization or
cookie (`DB_PASSWORD=...`, `"aws_secret_access_key": ...`), in any case, with any prefix or suffix.
Counts are not credentials: `max_tokens`, `input_tokens`, `tokenizer`, `token_count` stay.

Speed: nearly all text holds no hint of a credential, and one chain of substring tests (C speed,
no regex) says so; only the rules whose hint is present run their regex.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ._config import ENV_REDACT

_log = logging.getLogger("agentops_otel")
MASK = "****"
_SHORT = 160
UserRule = str | re.Pattern[str] | Callable[[str], str]


def _keep_prefix(mask_group: str) -> Callable[[re.Match[str]], str]:
    """Replacement that keeps everything before `mask_group` and masks that group."""

    def replace(match: re.Match[str]) -> str:
        start = match.start(mask_group) - match.start()
        return match.group()[:start] + MASK + match.group()[match.end(mask_group) - match.start() :]

    return replace


def _openai_style(match: re.Match[str]) -> str:
    # `sk-` plus lowercase words (`sk-learn-compatible-estimators`) is prose, not a key: a key has a
    # known prefix, or digits or capitals in its body.
    if not match["prefix"] and not re.search(r"[A-Z0-9]", match["body"]):
        return match.group()
    return f"sk-{match['prefix'] or ''}{MASK}"


def _scheme(match: re.Match[str]) -> str:
    # `Basic Understanding` is prose: a credential has digits, symbols, or a capital after a small letter
    # (any word after a capitalised `Bearer` counts: that is how a header writes it).
    if match["scheme"] != "Bearer" and not re.search(r"[0-9._~+/=\-]|[a-z][A-Z]", match["credential"]):
        return match.group()
    return f"{match['scheme']} {MASK}"


# Names whose value is a credential, and the endings that make them a count or a word instead.
_NAME = (
    r"(?:(?P<header>authorization|cookie)|(?P<name>password|passwd|passphrase|secret|token|credentials?|"
    r"(?:api|private|access|secret|signing|encryption|master|license|auth)[_\-]?key|apikey))"
)
_NOT_SECRET_ENDING = re.compile(
    r"(?:s|iz\w*|ary|ariat\w*|_?(?:count|budget|limit|usage|used|len|length|type|ids?|index|logprobs?|"
    r"probs?|name|field))(?![a-z])",
    re.IGNORECASE,
)
_NAME_IN_KEY = re.compile(_NAME + r"(?P<suffix>[A-Za-z0-9_.\-]*)", re.IGNORECASE)
_NULLS = frozenset({"null", "none", "true", "false", "nil", '""', "''", '\\"\\"', MASK, f'"{MASK}"'})
# After a credential's name: an optional closing quote, `:`, `=` or `=>`, then the value: escaped-quoted
# (JSON inside a JSON string), quoted, a flat array or object, or a bare word; after a header's name
# (Authorization, Cookie) the rest of the line.
_QUOTED = r"(?P<escaped>\\+)\"(?:.*?[^\\])??(?P=escaped)\"|\"(?:[^\"\\\n]|\\.)*\"|'[^'\n]*'"
_SEPARATOR = r"(?P<quote>\\*[\"']?)\s*(?:=>|[:=])\s*"
_AFTER_NAME = re.compile(_SEPARATOR + rf"(?P<value>{_QUOTED}|\[[^\[\]{{}}]*\]|\{{[^{{}}]*\}}|[^\s\"'\\,;&<>\[\]{{}}]+)")
_AFTER_HEADER = re.compile(_SEPARATOR + rf"(?P<value>{_QUOTED}|[^\r\n\"'\\]+)")
_NESTED = re.compile(_SEPARATOR + r"[\[{]")
_SCHEME_WORD = re.compile(r"(?i:bearer|basic|token|digest|negotiate)\s+")
_NAME_HINTS = ("pass", "secret", "token", "key", "cred", "auth", "cookie")
_IDENT = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")


def is_secret_name(name: str) -> bool:
    """Whether a key or variable name says its value is a credential (`DB_PASSWORD`, `x-api-key`)."""
    return _secret_name(name) if len(name) < 200 else False


@functools.lru_cache(maxsize=4096)
def _secret_name(name: str) -> bool:
    return any(not _NOT_SECRET_ENDING.match(match["suffix"]) for match in _NAME_IN_KEY.finditer(name))


def _closing_bracket(text: str, start: int) -> int:
    """The index after the bracket that closes the one at `start` (strings skipped), else the end."""
    depth, index, in_string = 0, start, False
    while index < len(text):
        char = text[index]
        if in_string:
            if char == "\\":
                index += 1
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
            if depth == 0:
                return index + 1
        index += 1
    return len(text)


def _masked_value(value: str, quote: str, header: bool) -> str:
    """The mask that replaces `value`, keeping its quotes (and JSON valid) and a header's scheme."""
    if value[0] == "\\":  # JSON inside a JSON string (inside...): keep its escaping
        escaped = value[: value.index('"')]
        return f'{escaped}"{MASK}{escaped}"'
    inner, wrap = (value[1:-1], value[0]) if value[0] in "\"'" else (value, "")
    scheme = _SCHEME_WORD.match(inner) if header else None
    masked = (scheme.group() if scheme else "") + MASK
    if wrap:
        return f"{wrap}{masked}{wrap}"
    if quote.lstrip("\\") == '"' or value[0] in "[{":  # a JSON value: keep it JSON
        return f'"{masked}"'
    return masked


def _mask_named_values(text: str, lower: str, found: list[tuple[str, int]]) -> str:
    """Mask the value after every credential's name (`DB_PASSWORD=x`, `"api_key": "x"`).

    Each hint found (`key`, `token`..., with its first position) is widened to the identifier around
    it, which must name a credential, and the value after it is masked; anchored matches only, so text full of the word
    "token" costs a few lookups, never a scan per position.
    """
    edits: list[tuple[int, int, str]] = []
    seen: set[int] = set()
    for hint, at in found:
        while at >= 0:
            start, end = at, at + len(hint)
            while start > 0 and text[start - 1] in _IDENT:
                start -= 1
            while end < len(text) and text[end] in _IDENT:
                end += 1
            at = lower.find(hint, end)
            if start in seen or not is_secret_name(text[start:end]):
                continue
            seen.add(start)
            header = "authorization" in lower[start:end] or "cookie" in lower[start:end]
            after = (_AFTER_HEADER if header else _AFTER_NAME).match(text, end)
            if after is None:
                nested = _NESTED.match(text, end)  # `"credentials": {"aws": {...}}`: the whole structure
                if nested is not None:
                    close = _closing_bracket(text, nested.end() - 1)
                    edits.append((nested.end() - 1, close, f'"{MASK}"' if nested["quote"] else MASK))
                continue
            if after["value"].lower() in _NULLS:
                continue
            mask = _masked_value(after["value"], after["quote"], header)
            edits.append((after.start("value"), after.end("value"), mask))
    if not edits:
        return text
    edits.sort()
    out: list[str] = []
    done = 0
    for begin, finish, mask in edits:
        if begin >= done:
            out += (text[done:begin], mask)
            done = finish
    out.append(text[done:])
    return "".join(out)


def _rule(pattern: str, replace: Any, flags: int = 0) -> tuple[re.Pattern[str], Any]:
    return re.compile(pattern, flags), replace


def _first_group_kept(names: tuple[str, ...]) -> Callable[[re.Match[str]], str]:
    """Keep the text before whichever of `names` matched, mask that group."""

    def replace(match: re.Match[str]) -> str:
        for name in names:
            if match[name] is not None:
                return match.group()[: match.start(name) - match.start()] + MASK
        return MASK

    return replace


_PEM = _rule(
    r"(?P<head>-----BEGIN (?P<label>[A-Z0-9 ]*PRIVATE KEY[A-Z ]*)-----).*?(?:-----END (?P=label)-----|\Z)",
    lambda m: f"{m['head']}{MASK}-----END {m['label']}-----",
    re.DOTALL,
)
_OPENAI = _rule(
    r"sk-(?<![\w\-]sk-)(?P<prefix>ant-(?:[a-z]+[0-9]*-)?|proj-|svcacct-|admin-|or-v1-)?(?P<body>[\w\-]{16,})",
    _openai_style,
)
_PROVIDERS = _rule(
    r"(?:gsk_|xai-|hf_|r8_|pplx-|(?:sk|rk)_(?:live|test)_)(?P<key>[A-Za-z0-9]{20,})", _keep_prefix("key")
)
_AWS = _rule(r"(?:AKIA|ASIA|ABIA|ACCA)(?<![A-Z0-9]....)(?P<key>[A-Z0-9]{16})(?![A-Z0-9])", _keep_prefix("key"))
_GITHUB = _rule(
    r"(?:gh[pousr]_(?P<key>[A-Za-z0-9]{30,})|github_pat_(?P<pat>\w{22,}))", _first_group_kept(("key", "pat"))
)
_GOOGLE = _rule(r"(?:AIza(?P<key>[\w\-]{30,})|ya29\.(?P<oauth>[\w\-]{20,}))", _first_group_kept(("key", "oauth")))
_SLACK = _rule(
    r"(?:xox[abposr]-(?P<key>[0-9A-Za-z\-]{10,})|hooks\.slack\.com/services/(?P<hook>[\w/]+))",
    _first_group_kept(("key", "hook")),
)
_JWT = _rule(r"eyJ[\w\-]{8,}\.[\w\-]{8,}\.[\w\-]*", "eyJ" + MASK)
_URL_PASSWORD = _rule(r"://(?P<user>[^\s/?#@:'\"<>\\]+):(?P<password>[^\s/?#@'\"<>\\]+)@", _keep_prefix("password"))
_SCHEME = _rule(r"\b(?P<scheme>Bearer|Basic|bearer|basic)\s+(?P<credential>[\w.~+/\-]{8,}=*)", _scheme)
# Every shaped credential is a run of at least 16 key characters: one C-speed pass over a byte map of the
# text finds whether there is any, before a rule's own hint is looked for.
_KEY_BYTES = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-+/"
_AS_KEY_BYTE = bytes.maketrans(_KEY_BYTES, b"a" * len(_KEY_BYTES))
_LONG_RUN = b"a" * 16
_LONG_RUNS = re.compile(re.escape(_LONG_RUN) + b"+")  # a literal prefix: found at C speed


def _shaped_rules(text: str) -> list[tuple[re.Pattern[str], Any]]:
    """The rules for shaped credentials (provider keys, tokens, PEM blocks) whose hint `text` holds.

    Hints are looked for only around the long runs of key characters (plus 16 characters before, for
    `Basic `, `ya29.` and `hooks.slack.`), so a text with one URL costs a few short checks.
    """
    mapped = text.encode("utf-8", "surrogatepass").translate(_AS_KEY_BYTE)
    if _LONG_RUN not in mapped:
        return []
    rules = [_PEM] if "-----BEGIN" in text else []
    hay = text
    if text.isascii():  # byte offsets are character offsets
        windows = [text[max(0, m.start() - 16) : m.end()] for m in _LONG_RUNS.finditer(mapped)]
        if len(windows) < 64:
            hay = "\n".join(windows)
    if "sk-" in hay:
        rules.append(_OPENAI)
    if "gsk_" in hay or "xai-" in hay or "hf_" in hay or "r8_" in hay or "pplx-" in hay or "k_" in hay:
        rules.append(_PROVIDERS)
    if "AKIA" in hay or "ASIA" in hay or "ABIA" in hay or "ACCA" in hay:
        rules.append(_AWS)
    if "gh" in hay or "github_pat_" in hay:
        rules.append(_GITHUB)
    if "AIza" in hay or "ya29." in hay:
        rules.append(_GOOGLE)
    if "xox" in hay or "hooks.slack.com" in hay:
        rules.append(_SLACK)
    if "eyJ" in hay:
        rules.append(_JWT)
    if "asic" in hay:
        rules.append(_SCHEME)
    return rules


def redact_builtin(text: str) -> str:
    """`text` with the built-in rules applied."""
    lower = text.lower()
    if (  # one chain of C-speed tests: most text holds none of these
        "pass" in lower
        or "key" in lower
        or "token" in lower
        or "secret" in lower
        or "auth" in lower
        or "cred" in lower
        or "cookie" in lower
    ):
        found = [(hint, at) for hint in _NAME_HINTS if (at := lower.find(hint)) >= 0]
        text = _mask_named_values(text, lower, found)
    if "@" in text and "://" in text:
        text = _URL_PASSWORD[0].sub(_URL_PASSWORD[1], text)
    shaped = _shaped_rules(text)
    if "earer" in text and _SCHEME not in shaped:  # bearer tokens may be shorter than a shaped key
        shaped.append(_SCHEME)
    for pattern, replace in shaped:
        text = pattern.sub(replace, text)
    return text


def _compile_user_rule(rule: UserRule) -> Callable[[str], str]:
    if callable(rule) and not isinstance(rule, re.Pattern):
        return rule
    pattern = re.compile(rule) if isinstance(rule, str) else rule
    if not isinstance(pattern, re.Pattern):
        raise TypeError(f"a redaction rule is a regular expression or a function str -> str, not {rule!r}")
    group = "secret" if "secret" in pattern.groupindex else None

    def apply(text: str) -> str:
        if group is None:
            return pattern.sub(MASK, text)
        return pattern.sub(_keep_prefix(group), text)

    return apply


class Redactor:
    """The built-in rules, then the user's: regular expressions (the named group `secret`, else the whole
    match, becomes ****) and functions taking and returning a string."""

    def __init__(self, rules: Iterable[UserRule] = ()) -> None:
        self.rules = tuple(rules)
        self._user = tuple(_compile_user_rule(r) for r in self.rules)  # raises re.error / TypeError
        # Short values (names, ids, models) repeat on span after span: remember them.
        self._short = functools.lru_cache(maxsize=4096)(self._text)

    def text(self, text: str) -> str:
        """`text` with every credential masked."""
        if len(text) <= _SHORT:
            return self._short(text)
        return self._text(text)

    def _text(self, text: str) -> str:
        if len(text) >= 8:
            text = redact_builtin(text)
        for user_rule in self._user:
            try:
                text = user_rule(text)
            except Exception:  # the user's rule failed: mask everything rather than let a secret out
                return MASK + " (a redaction rule failed on this value)"
            if not isinstance(text, str):
                return MASK + " (a redaction rule returned no text)"
        return text

    def value(self, key: str, value: Any) -> Any:
        """An attribute value: masked whole under a credential's name, else its text redacted."""
        if value is None or isinstance(value, bool):
            return value
        if is_secret_name(key):
            return MASK if not isinstance(value, tuple | list) else tuple(MASK for _ in value)
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, tuple | list):
            return tuple(self.text(v) if isinstance(v, str) else v for v in value)
        return value

    def plain(self, value: Any, depth: int = 0) -> Any:
        """A copy of plain data (dicts, lists, strings) with credentials masked by key and by content."""
        if isinstance(value, str):
            return self.text(value)
        if depth > 64:
            return value
        if isinstance(value, Mapping):
            return {k: self._keyed(k, v, depth) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.plain(v, depth + 1) for v in value]
        return value

    def _keyed(self, key: Any, value: Any, depth: int) -> Any:
        if isinstance(key, str) and value not in (None, "") and is_secret_name(key):
            return MASK
        return self.plain(value, depth + 1)


DEFAULT = Redactor()


def parse_rules(raw: str) -> list[str]:
    """AGENTOPS_OTEL_REDACT: one regular expression, or a JSON list of them. Raises ValueError."""
    raw = raw.strip()
    if not raw:
        return []
    if raw.startswith("["):
        try:
            rules = json.loads(raw)
        except ValueError as exc:
            raise ValueError(f"not a JSON list of regular expressions ({exc})") from None
        if not isinstance(rules, list) or not all(isinstance(r, str) for r in rules):
            raise ValueError("not a JSON list of regular expressions")
    else:
        rules = [raw]
    for rule in rules:
        try:
            re.compile(rule)
        except re.error as exc:
            raise ValueError(f"{rule!r} is not a regular expression ({exc})") from None
    return rules


@functools.lru_cache(maxsize=8)
def _from_value(raw: str) -> Redactor:
    try:
        return Redactor(parse_rules(raw))
    except ValueError as exc:
        _log.error("%s: %s; masking the built-in credential shapes only", ENV_REDACT, exc)
        return DEFAULT


def from_environment() -> Redactor:
    """The built-in rules and those of AGENTOPS_OTEL_REDACT (one Redactor per distinct value)."""
    return _from_value(os.environ.get(ENV_REDACT, ""))
