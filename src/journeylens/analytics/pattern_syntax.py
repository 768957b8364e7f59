"""The path pattern language: parse a pattern over step labels and compile it to a regex.

Grammar (whitespace between tokens is ignored)::

    pattern     := ["^"] sequence ["$"]
    sequence    := item ("->" item)*
    item        := atom [quantifier]
    atom        := label                       one step with this label
                 | "."                         any one step
                 | "[" label ("|" label)* "]"  one step with any of these labels
                 | "[^" label ("|" label)* "]" one step with none of these labels
                 | "(" sequence ("|" sequence)* ")"   a group, with alternatives
    quantifier  := "*" | "+" | "?" | "{" n "}" | "{" n "," [m] "}"
    label       := bare | '"' any text '"' | "'" any text "'"

A bare label is a run of characters other than whitespace and ``[ ] ( ) | ^ $ * + ? { } " '``
that does not contain ``->`` (so ``move_form_help@phone``, ``e-mail`` and ``v1.2`` are bare
labels, and ``.`` alone is the wildcard); quote labels with spaces or those characters.
Quantifiers repeat the item before them (``.*`` is any number of steps, ``[^a]+`` one or more
steps other than ``a``). Without ``^`` and ``$`` a pattern matches anywhere in the journey, as a
run of consecutive steps; ``^`` ties it to the first step, ``$`` to the last.

The pattern is compiled to a Python regex over a journey's path encoded as one character per
step (each label gets its own code point), so a quantified class is a regex character class.

Examples
--------
>>> pattern = parse("add_to_cart -> [^support_chat]* -> purchase")
>>> pattern.matches(["view", "add_to_cart", "view", "purchase"])
True
>>> pattern.matches(["add_to_cart", "support_chat", "purchase"])
False
>>> parse("^ a -> .").matches(["b", "a", "c"])
False
>>> parse("a -> [b") # doctest: +NORMALIZE_WHITESPACE
Traceback (most recent call last):
...
ValueError: path pattern error at column 8: expected '|' or ']' to close the class opened at
column 6, found the end of the pattern
    a -> [b
           ^
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

#: Characters that end a bare label.
_SPECIAL = set("[]()|^$*+?{}\"'")
_SINGLE = {
    "[": "lbrack",
    "]": "rbrack",
    "(": "lparen",
    ")": "rparen",
    "|": "pipe",
    "^": "caret",
    "$": "dollar",
    "*": "star",
    "+": "plus",
    "?": "qmark",
}
_BRACE = re.compile(r"\{\s*(\d+)\s*(?:(,)\s*(\d*)\s*)?\}")
#: Code points of the step encoding start here (above ASCII, never a newline).
_BASE = 0x100


@dataclass(frozen=True)
class Token:
    """A token of a pattern; ``column`` counts from 1."""

    kind: str
    text: str
    column: int


def _error(pattern: str, column: int, message: str) -> ValueError:
    pointer = " " * (column - 1) + "^"
    return ValueError(
        f"path pattern error at column {column}: {message}\n    {pattern}\n    {pointer}"
    )


def tokens(pattern: str) -> list[Token]:
    """Split a pattern into tokens (ends with an ``end`` token)."""
    out: list[Token] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char.isspace():
            i += 1
        elif pattern.startswith("->", i):
            out.append(Token("arrow", "->", i + 1))
            i += 2
        elif char in _SINGLE:
            out.append(Token(_SINGLE[char], char, i + 1))
            i += 1
        elif char == "{":
            found = _BRACE.match(pattern, i)
            if not found:
                raise _error(pattern, i + 1, "a repeat is written {n}, {n,} or {n,m}")
            out.append(Token("brace", found.group(0), i + 1))
            i = found.end()
        elif char == "}":
            raise _error(pattern, i + 1, "'}' without '{'")
        elif char in "\"'":
            end = pattern.find(char, i + 1)
            if end < 0:
                raise _error(pattern, i + 1, f"the quoted label is not closed with {char}")
            out.append(Token("label", pattern[i + 1 : end], i + 1))
            i = end + 1
        else:
            start = i
            while (
                i < len(pattern)
                and not pattern[i].isspace()
                and pattern[i] not in _SPECIAL
                and not pattern.startswith("->", i)
            ):
                i += 1
            text = pattern[start:i]
            out.append(Token("dot" if text == "." else "label", text, start + 1))
    out.append(Token("end", "", len(pattern) + 1))
    return out


# -- the syntax tree: each node turns itself into a regex, given the labels' code points ----

Codes = Callable[[str], str | None]


@dataclass(frozen=True)
class Step:
    """One step: any of ``labels`` (``negated``: none of them); no labels: any step."""

    labels: tuple[str, ...] = ()
    negated: bool = False

    def regex(self, code: Codes) -> str:
        if not self.labels:
            return "."
        known = [re.escape(c) for c in map(code, self.labels) if c is not None]
        if self.negated:
            return f"[^{''.join(known)}]" if known else "."
        if not known:
            return "(?!)"  # a label no journey has: never matches
        return known[0] if len(known) == 1 else f"[{''.join(known)}]"


@dataclass(frozen=True)
class Repeat:
    """``node`` repeated ``low`` to ``high`` times (``high`` None: unbounded)."""

    node: Node
    low: int
    high: int | None

    def regex(self, code: Codes) -> str:
        inner = f"(?:{self.node.regex(code)})"
        table = {(0, None): "*", (1, None): "+", (0, 1): "?"}
        suffix = table.get((self.low, self.high))
        if suffix is None:
            upper = "" if self.high is None else str(self.high)
            suffix = f"{{{self.low}}}" if self.high == self.low else f"{{{self.low},{upper}}}"
        return inner + suffix


@dataclass(frozen=True)
class Chain:
    """Items one after the other."""

    items: tuple[Node, ...]

    def regex(self, code: Codes) -> str:
        return "".join(item.regex(code) for item in self.items)


@dataclass(frozen=True)
class Choice:
    """Any one of the alternatives."""

    options: tuple[Chain, ...]

    def regex(self, code: Codes) -> str:
        return "(?:" + "|".join(option.regex(code) for option in self.options) + ")"


Node = Step | Repeat | Chain | Choice


def _labels(node: Node) -> Iterable[str]:
    if isinstance(node, Step):
        yield from node.labels
    elif isinstance(node, Repeat):
        yield from _labels(node.node)
    elif isinstance(node, Chain):
        for item in node.items:
            yield from _labels(item)
    else:
        for option in node.options:
            yield from _labels(option)


def code_point(index: int) -> str:
    """The character that stands for the label numbered ``index`` (skipping surrogates)."""
    value = _BASE + index
    return chr(value if value < 0xD800 else value + 0x800)


@dataclass(frozen=True)
class Pattern:
    """A parsed pattern (see the module docstring)."""

    text: str
    body: Chain
    start: bool = False
    end: bool = False
    labels: tuple[str, ...] = field(default=())

    def regex(self, codes: dict[str, str]) -> re.Pattern[str]:
        """The compiled regex over paths encoded with ``codes`` (label → character)."""
        body = self.body.regex(codes.get)
        return re.compile(("\\A" if self.start else "") + body + ("\\Z" if self.end else ""))

    def matches(self, path: Sequence[str]) -> bool:
        """Whether one path (a list of labels) matches; for checks and small data."""
        codes = {label: code_point(i) for i, label in enumerate(dict.fromkeys(path))}
        return self.regex(codes).search("".join(codes[label] for label in path)) is not None


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokens(text)
        self.at = 0

    @property
    def next(self) -> Token:
        return self.tokens[self.at]

    def take(self, kind: str) -> Token | None:
        token = self.next
        if token.kind != kind:
            return None
        self.at += 1
        return token

    def fail(self, message: str, token: Token | None = None) -> ValueError:
        token = token or self.next
        found = "the end of the pattern" if token.kind == "end" else f"'{token.text}'"
        return _error(self.text, token.column, f"{message}, found {found}")

    def pattern(self) -> Pattern:
        if self.next.kind == "end":
            raise _error(self.text, 1, "the pattern is empty; write steps such as 'a -> .* -> b'")
        start = self.take("caret") is not None
        body = self.sequence()
        dollar = self.take("dollar")
        if dollar is not None and self.next.kind != "end":
            raise _error(self.text, dollar.column, "'$' anchors only at the end of the pattern")
        if self.next.kind == "pipe":
            raise self.fail("alternatives need a group: write (a | b)")
        if self.next.kind != "end":
            raise self.fail("expected '->' between steps")
        labels = tuple(dict.fromkeys(_labels(body)))
        return Pattern(self.text, body, start, dollar is not None, labels)

    def sequence(self) -> Chain:
        items = [self.item()]
        while self.take("arrow"):
            items.append(self.item())
        return Chain(tuple(items))

    def item(self) -> Node:
        node = self.atom()
        quantifier = self.next
        bounds = {"star": (0, None), "plus": (1, None), "qmark": (0, 1)}
        if quantifier.kind in bounds:
            self.at += 1
            low, high = bounds[quantifier.kind]
            node = Repeat(node, low, high)
        elif quantifier.kind == "brace":
            self.at += 1
            node = Repeat(node, *self._brace(quantifier))
        else:
            return node
        if self.next.kind in (*bounds, "brace"):
            raise self.fail("one repeat per step; group the step to repeat it again")
        return node

    def _brace(self, token: Token) -> tuple[int, int | None]:
        found = _BRACE.fullmatch(token.text)
        assert found is not None  # the tokenizer only makes valid braces
        low = int(found.group(1))
        if found.group(2) is None:
            return low, low
        high = int(found.group(3)) if found.group(3) else None
        if high is not None and high < low:
            raise _error(self.text, token.column, f"{token.text}: the maximum is below the minimum")
        return low, high

    def atom(self) -> Node:
        token = self.next
        if self.take("label"):
            return Step((token.text,))
        if self.take("dot"):
            return Step()
        if self.take("lbrack"):
            return self._class(token)
        if self.take("lparen"):
            options = [self.sequence()]
            while self.take("pipe"):
                options.append(self.sequence())
            if not self.take("rparen"):
                raise self.fail(
                    f"expected '->', '|' or ')' to close the group opened at column {token.column}"
                )
            return options[0] if len(options) == 1 else Choice(tuple(options))
        hint = {
            "caret": "'^' anchors only at the start (inside [ ] it negates)",
            "dollar": "'$' anchors only at the end",
            "arrow": "a step is missing before '->'",
        }
        raise self.fail(hint.get(token.kind, "expected a step: a label, '.', '[…]' or '(…)'"))

    def _class(self, opening: Token) -> Step:
        negated = self.take("caret") is not None
        labels = []
        while True:
            label = self.take("label")
            if label is None:
                raise self.fail("expected a label in [ ]")
            labels.append(label.text)
            if self.take("rbrack"):
                return Step(tuple(labels), negated)
            if not self.take("pipe"):
                raise self.fail(
                    f"expected '|' or ']' to close the class opened at column {opening.column}"
                )


def parse(pattern: str) -> Pattern:
    """Parse a path pattern.

    Raises
    ------
    ValueError
        With the column of the first syntax error and a pointer to it.
    """
    return _Parser(pattern).pattern()
