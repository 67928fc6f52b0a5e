"""E-mail addresses as scripts/get_maintainer.pl handles them: Perl-faithful ports of its
parse_email, format_email, the RFC 822 validator and the splitting of an M:/R: value. Text in,
text out; no matching, git, b4, Textual or Rich.
"""

from __future__ import annotations

import re
from functools import lru_cache

_NEEDS_QUOTES = re.compile(r"[^\w \-]", re.ASCII | re.IGNORECASE)


def escape_name(name: str) -> str:
    """Quote a display name that holds characters other than ASCII word, space and `-`."""
    if _NEEDS_QUOTES.search(name):
        name = re.sub(r'(?<!\\)"', r'\\"', name)
        name = f'"{name}"'
    return name


_NAME_ADDR = re.compile(r"([^<]+)<(.+@.*)>.*")
_BRACKET_ADDR = re.compile(r"\s*<(.+@\S*)>.*")
_BARE_ADDR = re.compile(r"(.+@\S*).*")


_QUOTE_ENDS = re.compile(r'^"|"$')


def _trim_name(name: str) -> str:
    name = name.strip()
    if '"' in name:
        name = _QUOTE_ENDS.sub("", name)
    return escape_name(name)


def parse_email(text: str) -> tuple[str, str]:
    """(name, address) as get_maintainer.pl's parse_email() splits them."""
    name = address = ""
    if match := _NAME_ADDR.fullmatch(text):
        name, address = match.group(1), match.group(2)
    elif match := _BRACKET_ADDR.fullmatch(text):
        address = match.group(1)
    elif match := _BARE_ADDR.fullmatch(text):
        address = match.group(1)
    return _trim_name(name), address.strip()


def format_email(name: str, address: str) -> str:
    """`Name <address>`, or the bare address when there is no name."""
    name, address = _trim_name(name), address.strip()
    return f"{name} <{address}>" if name else address


def _rfc822_re() -> str:
    lwsp = r"(?:(?:\r\n)?[ \t])"
    specials = r'()<>@,;:\\".\[\]'
    controls = r"\x00-\x1f\x7f"
    dtext = r"[^\[\]\r\\]"
    domain_literal = rf"\[(?:{dtext}|\\.)*\]{lwsp}*"
    quoted_string = rf'"(?:[^\"\r\\]|\\.|{lwsp})*"{lwsp}*'
    atom = rf'[^{specials} {controls}]+(?:{lwsp}+|\Z|(?=[\["{specials}]))'
    word = f"(?:{atom}|{quoted_string})"
    localpart = rf"{word}(?:\.{lwsp}*{word})*"
    sub_domain = f"(?:{atom}|{domain_literal})"
    domain = rf"{sub_domain}(?:\.{lwsp}*{sub_domain})*"
    addr_spec = f"{localpart}@{lwsp}*{domain}"
    phrase = f"{word}*"
    route = f"(?:@{domain}(?:,@{lwsp}*{domain})*:{lwsp}*)"
    route_addr = rf"\<{lwsp}*{route}?{addr_spec}\>{lwsp}*"
    mailbox = f"(?:{addr_spec}|{phrase}{route_addr})"
    group = rf"{phrase}:{lwsp}*(?:{mailbox}(?:,\s*{mailbox})*)?;\s*"
    return f"{lwsp}*(?:{mailbox}|{group})"


_LATIN1 = re.compile(r"[\x00-\xff]*")
_COMMENT = re.compile(r'^((?:[^"\\]|\\.)*(?:"(?:[^"\\]|\\.)*"(?:[^"\\]|\\.)*)*)'
                      r"\((?:[^()\\]|\\.)*\)", re.S)
# Addresses that are plainly one valid RFC 822 mailbox; the full grammar is compiled lazily.
_ADDR = r"[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*@[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*"
SIMPLE_ADDRESS = re.compile(rf"[A-Za-z-]+(?: [A-Za-z-]+)* <{_ADDR}>|{_ADDR}")


@lru_cache(maxsize=1)
def _rfc822() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    one = _rfc822_re()
    lwsp = r"(?:(?:\r\n)?[ \t])"
    return (re.compile(one, re.S), re.compile(rf"(?:{one})?(?:,(?:{one})?)*", re.S),
            re.compile(rf"(?:^|,{lwsp}*)({one})", re.S))


def _strip_comments(text: str) -> str:
    while True:
        new = _COMMENT.sub(lambda m: m.group(1) + " ", text, count=1)
        if new == text:
            return text
        text = new


def rfc822_valid(text: str) -> bool:
    """get_maintainer.pl's rfc822_valid(): one RFC 822 address, Latin-1 only."""
    text = _strip_comments(text)
    return bool(_rfc822()[0].fullmatch(text) and _LATIN1.fullmatch(text))


def rfc822_validlist(text: str) -> list[str] | None:
    """The addresses of a valid RFC 822 list, or None when the list is not valid."""
    text = _strip_comments(text)
    _one, whole, item = _rfc822()
    if not (whole.fullmatch(text) and _LATIN1.fullmatch(text)):
        return None
    return [match.group(1) for match in item.finditer(text)]


def split_addresses(value: str, known: dict[str, list[str]] | None = None) -> list[str]:
    """The address strings push_email_addresses() pushes for one M:/R: value.

    `known` holds answers worked out before (the full RFC 822 grammar takes 30 ms to compile).
    """
    if SIMPLE_ADDRESS.fullmatch(value):
        return [value]
    if known is not None and value in known:
        return list(known[value])
    if rfc822_valid(value):
        return [value]
    items = rfc822_validlist(value)
    if items is None:
        return [value]
    kept = []
    for item in items:
        if not item:
            break  # Perl's `while (my $entry = shift ...)` stops at a false entry
        kept.append(item)
    return kept
