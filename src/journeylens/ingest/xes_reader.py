"""Streaming reader for XES event logs (IEEE 1849-2016), plain or gzip-compressed.

Output columns follow the pm4py convention:

* event attributes under their key (``concept:name``, ``time:timestamp``,
  ``lifecycle:transition``, ``org:resource``, any other key);
* trace attributes as ``case:<key>`` (the trace's ``concept:name`` becomes
  ``case:concept:name``), repeated on every event of the trace;
* `LINE_COLUMN`, the line of the ``<event>`` start tag.

Every value is a string exactly as written in the file (after XML unescaping): dates keep their
ISO text and offset, booleans, integers and floats their lexical form. Parsing and validation
happen later, once, for all formats.

How it works
------------
XES is a flat and regular XML dialect, so the reader neither builds a tree nor calls Python
once per element. It reads the decompressed file in blocks of a few MiB and, per block:

1. blanks comments, processing instructions, CDATA sections and the DOCTYPE (they carry no
   XES data) with spaces, keeping the newlines so that line numbers stay exact;
2. splits the block on ``<`` with Arrow (one piece per tag) and reads the usual attribute
   element, ``<string key="k" value="v"/>`` as XES writers emit it, with one vectorized RE2
   pattern; the other tags (``<event>``, ``</trace>``...) repeat, so each distinct text is
   read once; the rare remaining ones (other attribute order, single quotes, extra
   attributes) go through a generic RE2 pattern, and values with references or white space
   to normalize are decoded vectorized where possible, in Python otherwise;
3. derives nesting depth, parents and tag matching with numpy, checks the structure, and
   pivots the ``(row, key, value)`` triples into columns with Arrow ``take``.

Files written differently (single quotes, say) are read just as exactly, about three times
more slowly.

A block is cut where the nesting is back at the ``<log>`` level and the rest is carried into
the next block, so memory is bounded by the block size plus the largest single trace,
whatever the size of the log.

Why not ``lxml.etree.iterparse``: on the Helpdesk log it is several times slower (tree
building and one Python call per attribute), and libxml2 only approximates line numbers past
line 65,535 (lxml's ``sourceline`` is off there), while this reader reports exact lines.

The structure is checked: every tag must be well-formed with quoted attributes, tags must nest
and match, there must be exactly one root and it must be ``<log>``, attribute values may only
use the predefined entities and character references, no text may stand outside the root, the
file must be valid in its encoding. It is not a full validating XML 1.0 parser though: rules
that cannot change the values read are not enforced (characters XML forbids, such as control
characters; duplicate XML attributes on one element; namespace rules: unbound prefixes,
malformed qualified names or namespace URIs; ``--`` inside comments; the text content of
elements, which XES does not use and which is ignored, except that ``&`` must start a
reference everywhere).

Deliberate simplifications
--------------------------
* Declarations in the log header (``<extension>``, ``<global>``, ``<classifier>``) and
  log-level attributes are ignored. In particular the default values of
  ``<global scope="event">`` / ``<global scope="trace">`` are *not* filled into events or
  traces that lack the attribute: a missing attribute stays null.
* Nested attributes (XES ``nested-attributes``, ``<list>``, ``<container>``) are flattened
  to their top-level key, carrying the parent's ``value`` if it has one (null for lists and
  containers); the children are dropped.
* Elements are matched on their local name (``<xes:event>`` is an event); namespaces are
  otherwise ignored, so files with the XES namespace (with or without its trailing slash)
  and files without any namespace read the same.
* If a key repeats within one event or trace, the last occurrence wins. A trace attribute
  ``k`` and an event attribute literally named ``case:k`` share a column; the trace's wins.
* ``ReadOptions.encoding`` is not used: an XML file declares its own encoding (UTF-8 when it
  declares none and has no byte-order mark), and that declaration is honoured.
* Events outside any trace (allowed by some tools) get no ``case:`` values.
* An event attribute whose key is `LINE_COLUMN` (``__line__``) is dropped: the column is
  reserved for the line number, as in the other readers.
* A trace without events yields no row; it is reported as a `RawReject` in
  ``options.rejects`` so that it is counted, not silently lost.
* Entities declared in a DTD are not expanded: a value that uses one is an error.
"""

from __future__ import annotations

import codecs
import gzip
import io
import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from journeylens.errors import InputError
from journeylens.ingest.base import LINE_COLUMN, RawReject, ReadOptions

__all__ = ["BLOCK_BYTES", "XesReader"]

#: Decompressed bytes read per block.
BLOCK_BYTES: Final = 2 << 20

_Ints = npt.NDArray[np.int64]
_Bools = npt.NDArray[np.bool_]
_Codes = npt.NDArray[np.int8]
_LineOf = Callable[[int], int]

_GZIP_MAGIC: Final = b"\x1f\x8b"
_FIX_MALFORMED: Final = (
    "repair or re-export the log from the tool that produced it; every element must be "
    "closed and special characters in values escaped (&amp; &lt; &gt; &quot;)"
)
_FIX_NOT_XES: Final = "export the event log as XES (IEEE 1849-2016), or use a reader for its format"
_FIX_ENCODING: Final = "declare the real encoding in <?xml ... encoding=...?> or save as UTF-8"

# Kinds of tag.
_FAST, _OPEN, _CLOSE, _EMPTY = 1, 2, 3, 4
# Categories of element, by local name.
_ATTRIBUTE, _EVENT, _TRACE, _LOG = 0, 1, 2, 3
_CATEGORIES: Final = {"event": _EVENT, "trace": _TRACE, "log": _LOG}

# RE2 patterns (Arrow), applied to the text after a "<"; carriage returns are gone by then.
# XML names, with every non-ASCII character accepted.
_NAME: Final = r"[A-Za-z_:\x{80}-\x{10FFFF}][A-Za-z0-9._:\-\x{80}-\x{10FFFF}]*"
# The usual attribute element, as XES writers emit it (single spaces: a third cheaper).
_FAST_RE: Final = rf'^(?P<name>{_NAME}) key="(?P<key>[^"\t\n]*)" value="(?P<value>[^"\t\n]*)" ?/>'
_SIMPLE_RE: Final = rf"^(?P<slash>/?)(?P<name>{_NAME})[ \t\n]*(?P<end>/?)>"
_GENERIC_RE: Final = (
    rf"^(?P<slash>/?)(?P<name>{_NAME})"
    rf"(?P<attrs>(?:[ \t\n]+{_NAME}[ \t\n]*=[ \t\n]*(?:\"[^\"]*\"|'[^']*'))*)"
    r"[ \t\n]*(?P<end>/?)>"
)
# The first "key" (or "value") among the XML attributes of a tag, whole attributes skipped.
_ONE_ATTR: Final = rf"[ \t\n]+{_NAME}[ \t\n]*=[ \t\n]*(?:\"[^\"]*\"|'[^']*')"
_QUOTED: Final = r"[ \t\n]*=[ \t\n]*(?:(?P<q>\")(?P<d>[^\"]*)\"|'(?P<s>[^']*)')"
_KEY_RE: Final = rf"^(?:{_ONE_ATTR})*?[ \t\n]+key{_QUOTED}"
_VALUE_RE: Final = rf"^(?:{_ONE_ATTR})*?[ \t\n]+value{_QUOTED}"

# Python patterns, for the rare exact paths.
_MARKUP = re.compile(
    rb"<!--.*?-->|<\?.*?\?>|<!\[CDATA\[.*?\]\]>"
    rb"|<!DOCTYPE(?:[^\[>\"']|\"[^\"]*\"|'[^']*'|\[.*?\])*>",
    re.S,
)
_MARKUP_START = re.compile(rb"<[!?]")
_OPENERS: Final = {
    b"<!--": "comment",
    b"<![CDATA[": "CDATA section",
    b"<?": "processing instruction",
    b"<!DOCTYPE": "DOCTYPE",
}
_BLANK: Final = bytes(10 if b == 10 else 32 for b in range(256))
_TAG_END = re.compile(rb"[^\"'>]*(?:(?:\"[^\"]*\"|'[^']*')[^\"'>]*)*>")
_REFERENCE = re.compile(r"#([0-9]+);|#x([0-9a-fA-F]+);|(lt|gt|amp|quot|apos);")
_ENTITIES: Final = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}
_DECLARED_ENCODING = re.compile(rb"^<\?xml[^>]*?encoding\s*=\s*[\"']([^\"']*)[\"']")
_PI_TARGET = re.compile(rb"<\?([A-Za-z_:\x80-\xff][\w.:\x80-\xff-]*)(?:[ \t\n]|\?>)")
_DECLARATION = re.compile(
    rb"<\?xml[ \t\n]+version[ \t\n]*=[ \t\n]*(?:\"1\.[0-9]*\"|'1\.[0-9]*')"
    rb"(?:[ \t\n]+encoding[ \t\n]*=[ \t\n]*(?:\"[A-Za-z][\w.-]*\"|'[A-Za-z][\w.-]*'))?"
    rb"(?:[ \t\n]+standalone[ \t\n]*=[ \t\n]*(?:\"(?:yes|no)\"|'(?:yes|no)'))?[ \t\n]*\?>"
)
_NEAR_AMPERSAND = re.compile(rb"&[^ \t\n;&<>\"']{0,20}")
_BAD_AMPERSAND = re.compile(rb"&(?!(?:#[0-9]+|#x[0-9a-fA-F]+|lt|gt|amp|quot|apos);)")
_XML_SPACE: Final = b" \t\r\n"


class XesReader:
    """Read XES event logs (``.xes``, ``.xes.gz``) as batches of string columns.

    Parameters
    ----------
    block_bytes : int
        Decompressed bytes read at a time. Larger blocks are a little faster and use more
        memory; tests use tiny blocks to exercise the block boundaries.

    Examples
    --------
    >>> import tempfile
    >>> from journeylens.ingest.base import ReadOptions
    >>> xes = '''<?xml version="1.0" encoding="UTF-8"?>
    ... <log xes.version="1849-2016" xmlns="http://www.xes-standard.org/">
    ...   <trace>
    ...     <string key="concept:name" value="c1"/>
    ...     <event>
    ...       <string key="concept:name" value="open &amp; read"/>
    ...       <date key="time:timestamp" value="2024-01-02T03:04:05.000+01:00"/>
    ...     </event>
    ...   </trace>
    ... </log>
    ... '''
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = Path(tmp) / "tiny.xes"
    ...     _ = path.write_text(xes, encoding="utf-8")
    ...     tables = list(XesReader().read(path, ReadOptions()))
    >>> tables[0].to_pylist()  # doctest: +NORMALIZE_WHITESPACE
    [{'concept:name': 'open & read', 'time:timestamp': '2024-01-02T03:04:05.000+01:00',
      'case:concept:name': 'c1', '__line__': 5}]
    """

    suffixes: tuple[str, ...] = (".xes", ".xes.gz")

    def __init__(self, block_bytes: int = BLOCK_BYTES) -> None:
        self.block_bytes = max(1, block_bytes)

    def read(self, path: Path, options: ReadOptions) -> Iterator[pa.Table]:
        """Stream the events of an XES log.

        Parameters
        ----------
        path : Path
            The ``.xes`` or ``.xes.gz`` file; compression is detected from the content.
        options : ReadOptions
            ``batch_rows`` sets the rows per batch; empty traces are appended to
            ``rejects``. ``encoding`` is ignored: the file declares its own.

        Yields
        ------
        pa.Table
            String columns, one per attribute key seen in the batch (null where an event
            lacks it), plus `LINE_COLUMN` (int64). Columns may differ between batches.

        Raises
        ------
        InputError
            If the file is missing, corrupt, not well-formed, or not an XES log.
        """
        where = str(path)
        with _open(path, where) as raw:
            scanner = _Scanner(where, options.rejects)
            try:
                blocks = scanner.run(_Utf8Source(raw, where), self.block_bytes)
                yield from _rebatch(blocks, options.batch_rows)
            except (EOFError, zlib.error, gzip.BadGzipFile) as err:
                raise InputError(
                    f"corrupt or truncated gzip data: {err}",
                    where,
                    "download or compress the file again (gunzip -t checks it)",
                ) from err


def _open(path: Path, where: str) -> io.BufferedIOBase:
    """Open `path` for reading, decompressing it if it is gzip (by content, not by name)."""
    try:
        with path.open("rb") as probe:
            compressed = probe.read(2) == _GZIP_MAGIC
        return gzip.open(path, "rb") if compressed else path.open("rb")
    except OSError as err:
        raise InputError(
            f"cannot open the file: {err.strerror or err}",
            where,
            "check the path and the file permissions",
        ) from err


def _rebatch(tables: Iterator[pa.Table], batch_rows: int) -> Iterator[pa.Table]:
    """Regroup `tables` into batches of `batch_rows` rows (the last one may be shorter)."""
    size = max(1, batch_rows)
    held: list[pa.Table] = []
    rows = 0
    for table in tables:
        held.append(table)
        rows += table.num_rows
        while rows >= size:
            merged = _concat(held)
            yield merged.slice(0, size)
            rest = merged.slice(size)
            held, rows = ([rest], rest.num_rows) if rest.num_rows else ([], 0)
    if rows:
        yield _concat(held)


def _concat(tables: list[pa.Table]) -> pa.Table:
    """One table from several whose columns may differ (missing columns are null)."""
    return tables[0] if len(tables) == 1 else pa.concat_tables(tables, promote_options="default")


class _Utf8Source:
    """The decompressed file as UTF-8, with XML line ends (CR LF and CR become LF)."""

    def __init__(self, raw: io.BufferedIOBase, where: str) -> None:
        self._raw = raw
        self._where = where
        self._started = False
        self._decoder: codecs.IncrementalDecoder | None = None
        self._held_cr = False

    def read(self, size: int) -> bytes:
        """Return about `size` bytes; ``b""`` only at the end of the file."""
        while True:
            raw = self._raw.read(size if self._started else max(size, 1024))  # see _start
            data = raw
            if not self._started:
                self._started = True
                data = self._start(data)
            if self._decoder is not None:
                try:
                    data = self._decoder.decode(data, final=not raw).encode("utf-8")
                except UnicodeDecodeError as err:
                    raise InputError(
                        f"the file is not valid {err.encoding}: {err.reason}",
                        self._where,
                        _FIX_ENCODING,
                    ) from err
            if self._held_cr:
                data = b"\r" + data
                self._held_cr = False
            if raw and data.endswith(b"\r"):
                data = data[:-1]  # its LF may come with the next read
                self._held_cr = True
            if data or not raw:
                break
        if b"\r" in data:
            data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        return data

    def _start(self, head: bytes) -> bytes:
        """Detect the encoding from a byte-order mark or the XML declaration."""
        if head.startswith(codecs.BOM_UTF8):
            return head[len(codecs.BOM_UTF8) :]
        name = None
        if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
            name = "utf-32"
        elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            name = "utf-16"
        elif head.startswith(b"<\x00?\x00"):
            name = "utf-16-le"
        elif head.startswith(b"\x00<\x00?"):
            name = "utf-16-be"
        else:
            declared = _DECLARED_ENCODING.match(head)
            if declared is not None:
                name = declared.group(1).decode("ascii")
        if name is None:
            return head
        try:
            codec = codecs.lookup(name)
        except LookupError as err:
            raise InputError(
                f"unknown encoding {name!r} in the XML declaration", self._where, _FIX_ENCODING
            ) from err
        if codec.name not in ("utf-8", "ascii"):
            self._decoder = codec.incrementaldecoder("strict")
        return head


@dataclass
class _Tags:
    """The classified tags of one block; tag ``j`` is the text after the ``j``-th ``<``."""

    kind: _Codes
    category: _Codes
    name_code: _Ints  # into `names`; -1 for fast attributes
    names: list[str]
    value_index: _Ints  # into `keys` / `values`; -1 for tags without a key attribute
    keys: pa.Array
    values: pa.Array


class _Scanner:
    """Reads blocks, carrying the parse state from one to the next."""

    def __init__(self, where: str, rejects: list[RawReject]) -> None:
        self.where = where
        self.rejects = rejects
        self.depth = 0  # 0 outside the root element, 1 inside it
        self.root_name: str | None = None
        self.root_closed = False
        self.line_base = 0  # newlines before the current block
        self.offset = 0  # bytes before the current block

    def run(self, source: _Utf8Source, block_bytes: int) -> Iterator[pa.Table]:
        """Yield the rows of `source`, one table per block."""
        buffer = bytearray()
        want = block_bytes
        while True:
            data = source.read(want)
            final = not data
            buffer += data
            if not buffer and final:
                break
            consumed, lines, table = self._block(buffer, final)
            if table is not None:
                yield table
            if consumed == 0 and not final:
                want = max(block_bytes, len(buffer))  # a trace longer than the buffer
                continue
            self.line_base += lines
            self.offset += consumed
            del buffer[:consumed]
            want = block_bytes
            if final:
                break
        if self.root_name is None:
            raise InputError(
                "no <log> element: the file is empty or not XML", self.where, _FIX_NOT_XES
            )
        if not self.root_closed:
            raise self._error("unexpected end of file: <log> is not closed", None)

    # -- one block -------------------------------------------------------------------------

    def _block(self, buffer: bytearray, final: bool) -> tuple[int, int, pa.Table | None]:
        """Read the complete top-level elements of `buffer`; return the bytes and lines
        used, and the rows read."""
        limit = len(buffer)
        if b"<!" in buffer or b"<?" in buffer:
            limit = self._blank(buffer, final)
            final = final and limit == len(buffer)
        data = bytes(memoryview(buffer)[:limit])
        whole = pa.Array.from_buffers(
            pa.large_binary(),
            1,
            [None, pa.py_buffer(np.array([0, len(data)], np.int64)), pa.py_buffer(data)],
        )
        pieces = pc.split_pattern(whole, b"<").flatten()  # the text before each "<", then after
        lengths = pc.binary_length(pieces).to_numpy().astype(np.int64)
        lt = np.cumsum(lengths[:-1] + 1) - 1  # where every "<" is
        newlines = np.flatnonzero(np.frombuffer(data, np.uint8) == 10)
        usable = len(lt) if final else len(lt) - 1  # the last tag may be cut short

        def line_of(tag: int) -> int:
            return self.line_base + int(np.searchsorted(newlines, lt[tag])) + 1

        if self.root_name is None:
            self._check_blank(data[: lt[0] if len(lt) else len(data)], self.line_base + 1)
        if usable <= 0:
            return (len(data), len(newlines), None) if final else (0, 0, None)
        tags = self._classify(data, pieces.slice(1, usable), lt, usable, line_of)

        kind = tags.kind
        is_open = kind == _OPEN
        is_close = kind == _CLOSE
        delta = is_open.astype(np.int64) - is_close.astype(np.int64)
        depth_after = self.depth + np.cumsum(delta)
        level = depth_after - delta - is_close  # a closing tag sits at its element's level
        if final:
            count = usable
        else:  # cut after the last tag that is back at the root level
            back = np.flatnonzero(depth_after <= 1)
            if not len(back):
                return 0, 0, None
            count = int(back[-1]) + 1
            kind, is_open, is_close = kind[:count], is_open[:count], is_close[:count]
            depth_after, level = depth_after[:count], level[:count]
        consumed = len(data) if count == len(lt) else int(lt[count])

        self._check_references(data, consumed, newlines)
        negative = np.flatnonzero(level < 0)
        if len(negative):
            tag = int(negative[0])
            name = tags.names[tags.name_code[tag]]
            raise self._error(f"closing tag </{name}> without a matching opening tag", line_of(tag))
        parent = self._structure(tags, is_open, is_close, level, line_of)
        self._root_level(tags, data, lt, kind, level, depth_after, line_of)
        if final and depth_after[-1] != 0:
            raise self._unclosed(tags, is_open, level, int(depth_after[-1]), line_of)
        self.depth = int(depth_after[-1])
        table = self._rows(tags, count, kind, parent, lt, newlines, line_of)
        return consumed, int(np.searchsorted(newlines, consumed)), table

    def _check_references(self, data: bytes, end: int, newlines: _Ints) -> None:
        """Raise unless every ``&`` before `end` starts a predefined or character reference."""
        bad = _BAD_AMPERSAND.search(data, 0, end) if b"&" in data else None
        if bad is not None:
            at = bad.start()
            line = self.line_base + int(np.searchsorted(newlines, at)) + 1
            near = _NEAR_AMPERSAND.match(data, at)
            found = near.group().decode("utf-8", "replace") if near else "&"
            raise self._error(f"undefined entity or unescaped '&' near {found!r}", line)

    def _blank(self, buffer: bytearray, final: bool) -> int:
        """Blank comments, PIs, CDATA and DOCTYPE in place; return where unread data starts."""
        position = 0
        while True:
            found = _MARKUP_START.search(buffer, position)
            if found is None:
                return len(buffer)
            start = found.start()
            markup = _MARKUP.match(buffer, start)
            if markup is not None:
                end = markup.end()
                if buffer[start + 1] == 63:  # "?": a processing instruction
                    self._check_instruction(buffer, start, end)
                buffer[start:end] = buffer[start:end].translate(_BLANK)
                position = end
                continue
            head = bytes(buffer[start : start + 9])
            opener = next((o for o in _OPENERS if head.startswith(o)), None)
            if opener is None and not any(o.startswith(head) for o in _OPENERS):
                position = start + 2  # left as is: reported as a malformed tag
                continue
            if not final:
                return start  # it ends in a later block
            line = self.line_base + buffer.count(b"\n", 0, start) + 1
            raise self._error(f"unterminated {_OPENERS.get(opener or b'', 'markup')}", line)

    def _check_instruction(self, buffer: bytearray, start: int, end: int) -> None:
        """Check the processing instruction ``buffer[start:end]`` (the XML declaration too)."""
        target = _PI_TARGET.match(buffer, start)
        problem = None
        if target is None:
            problem = "malformed processing instruction"
        elif target.group(1).lower() == b"xml":
            if start or self.offset:
                problem = "the XML declaration is not at the start of the file"
            elif _DECLARATION.fullmatch(buffer, start, end) is None:
                problem = "malformed XML declaration"
        if problem is not None:
            raise self._error(problem, self.line_base + buffer.count(b"\n", 0, start) + 1)

    def _utf8_error(self, data: bytes, err: Exception) -> InputError:
        """The error for data that is not valid UTF-8, located if possible."""
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as bad:
            line = self.line_base + data.count(b"\n", 0, bad.start) + 1
            return InputError(
                f"the file is not valid UTF-8: {bad.reason}",
                f"{self.where}:{line}",
                _FIX_ENCODING,
            )
        return InputError(f"the file is not valid UTF-8: {err}", self.where, _FIX_ENCODING)

    def _classify(
        self, data: bytes, pieces: pa.Array, lt: _Ints, usable: int, line_of: _LineOf
    ) -> _Tags:
        """Classify the `usable` tags (`pieces`: the text after each ``<``): fast attribute,
        opening, closing, empty element."""
        kind = np.zeros(usable, np.int8)
        value_index = np.full(usable, -1, np.int64)
        try:
            text = pieces.cast(pa.large_string())
        except pa.ArrowInvalid as err:
            end = int(lt[usable]) if usable < len(lt) else len(data)
            raise self._utf8_error(data[:end], err) from err

        # The fast path: <NAME key="K" value="V"/>, without white space to normalize in K, V.
        fast_found = pc.extract_regex(text, _FAST_RE)
        is_fast = fast_found.is_valid().to_numpy(zero_copy_only=False)
        if is_fast.any():  # <event key=".." value=".."/> is not an attribute: read it exactly
            encoded = pc.dictionary_encode(fast_found.field("name"))
            special = [
                code
                for code, name in enumerate(encoded.dictionary.to_pylist())
                if name.rpartition(":")[2] in _CATEGORIES
            ]
            if special:
                codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)
                is_fast &= ~np.isin(codes, special)
        fast = np.flatnonzero(is_fast)
        kind[fast] = _FAST
        value_index[fast] = np.arange(len(fast))
        keys = fast_found.field("key").filter(is_fast)
        values = fast_found.field("value").filter(is_fast)
        if b"&" in data:
            keys = self._decoded(keys, fast, line_of)
            values = self._decoded(values, fast, line_of)

        # Every other tag: RE2 on its text.
        other = np.flatnonzero(kind == 0)
        name_code = np.full(usable, -1, np.int64)
        names: list[str] = []
        attributed = np.zeros(0, np.int64)
        if len(other):
            text = text.take(other)
            # These tags repeat ("event>", "/trace>", with the same indentation): read each
            # distinct text once.
            distinct = pc.dictionary_encode(text)
            codes = distinct.indices.to_numpy(zero_copy_only=False)
            simple = pc.extract_regex(distinct.dictionary, _SIMPLE_RE)
            ok_simple = simple.is_valid().to_numpy(zero_copy_only=False)[codes]
            simple_codes = pa.array(codes[ok_simple])
            at = [other[ok_simple]]
            slash = [_flag(simple.field("slash").take(simple_codes))]
            empty = [_flag(simple.field("end").take(simple_codes))]
            found = [simple.field("name").take(simple_codes)]
            if not ok_simple.all():
                rest = other[~ok_simple]
                generic = pc.extract_regex(text.filter(~ok_simple), _GENERIC_RE)
                good = generic.is_valid().to_numpy(zero_copy_only=False)
                if not good.all():
                    tag = int(rest[~good][0])
                    raise self._malformed(data, lt, tag, line_of(tag))
                at.append(rest)
                slash.append(_flag(generic.field("slash")))
                empty.append(_flag(generic.field("end")))
                found.append(generic.field("name"))
                attrs = generic.field("attrs")
                has_attrs = pc.not_equal(attrs, "").to_numpy(zero_copy_only=False)
                with_key, more_keys, more_values = self._key_values(rest, attrs, has_attrs, line_of)
                value_index[with_key] = len(keys) + np.arange(len(with_key))
                keys = pa.concat_arrays([keys, more_keys])
                values = pa.concat_arrays([values, more_values])
                attributed = rest[has_attrs]
            where = np.concatenate(at)
            is_slash = np.concatenate(slash)
            is_empty = np.concatenate(empty)
            bad = np.flatnonzero(is_slash & (is_empty | np.isin(where, attributed)))
            if len(bad):
                tag = int(where[bad[0]])
                raise self._malformed(data, lt, tag, line_of(tag))
            kind[where] = np.where(is_slash, _CLOSE, np.where(is_empty, _EMPTY, _OPEN))
            encoded = pc.dictionary_encode(pa.chunked_array(found).combine_chunks())
            names = encoded.dictionary.to_pylist()
            name_code[where] = encoded.indices.to_numpy(zero_copy_only=False)
        category_of = np.array(
            [_CATEGORIES.get(n.rpartition(":")[2], _ATTRIBUTE) for n in names] + [_ATTRIBUTE],
            np.int8,
        )
        category = category_of[name_code]  # -1 picks the trailing _ATTRIBUTE
        return _Tags(kind, category, name_code, names, value_index, keys, values)

    def _key_values(
        self, at: _Ints, attrs: pa.Array, has_attrs: _Bools, line_of: _LineOf
    ) -> tuple[_Ints, pa.Array, pa.Array]:
        """The ``key`` and ``value`` XML attributes of the tags `at` (raw attribute text
        `attrs`): the tags that have a key, their keys, their values (null if none)."""
        key = pc.extract_regex(attrs, _KEY_RE)
        has_key = key.is_valid().to_numpy(zero_copy_only=False) & has_attrs
        value = pc.extract_regex(attrs.filter(has_key), _VALUE_RE)
        keys = _unquoted(key).filter(has_key)
        values = pc.if_else(value.is_valid(), _unquoted(value), None)
        with_key = at[has_key]
        keys = self._decoded(keys, with_key, line_of)
        values = self._decoded(values, with_key, line_of)
        return with_key, keys, values.cast(pa.large_string())

    def _decoded(self, texts: pa.Array, tags: _Ints, line_of: _LineOf) -> pa.Array:
        """Attribute values as XML reads them: references replaced, white space normalized
        (vectorized for the predefined entities, exact Python for the rest)."""
        needs = pc.fill_null(pc.match_substring_regex(texts, "[&\\t\\n]"), False)
        if not pc.any(needs).as_py():
            return texts
        exact = pc.and_(needs, pc.fill_null(pc.match_substring_regex(texts, "&#|[\\t\\n]"), False))
        decoded = _replace_entities(texts, pc.and_(needs, pc.invert(exact)))
        if pc.any(exact).as_py():
            listed, originals = decoded.to_pylist(), texts.to_pylist()
            for i in np.flatnonzero(exact.to_numpy(zero_copy_only=False)).tolist():
                try:
                    listed[i] = _unescape(originals[i])
                except ValueError as err:
                    raise self._error(str(err), line_of(int(tags[i]))) from err
            decoded = pa.array(listed, pa.large_string())
        return decoded

    def _structure(
        self, tags: _Tags, is_open: _Bools, is_close: _Bools, level: _Ints, line_of: _LineOf
    ) -> _Ints:
        """Check that closing tags match; return each element's parent (-1 for the root,
        which an earlier block may have opened)."""
        count = len(level)
        parent = np.full(count, -1, np.int64)
        opens = np.flatnonzero(is_open)
        open_level = level[opens]
        closes = np.flatnonzero(is_close)
        close_level = level[closes]
        matched = np.full(len(closes), -1, np.int64)
        elements = ~is_close
        for depth in np.unique(open_level).tolist():
            at_depth = opens[open_level == depth]
            children = np.flatnonzero(elements & (level == depth + 1))
            position = np.searchsorted(at_depth, children) - 1
            parent[children] = np.where(position >= 0, at_depth[np.maximum(position, 0)], -1)
            which = np.flatnonzero(close_level == depth)
            position = np.searchsorted(at_depth, closes[which]) - 1
            matched[which] = np.where(position >= 0, at_depth[np.maximum(position, 0)], -1)
        codes = tags.name_code
        inside = matched >= 0
        wrong = np.flatnonzero(inside & (codes[closes] != codes[np.maximum(matched, 0)]))
        if len(wrong):
            close, opening = int(closes[wrong[0]]), int(matched[wrong[0]])
            raise self._error(
                f"closing tag </{tags.names[codes[close]]}> does not match "
                f"<{tags.names[codes[opening]]}> opened on line {line_of(opening)}",
                line_of(close),
            )
        for close in closes[~inside].tolist():  # closes an element of an earlier block
            name = tags.names[codes[close]]
            if level[close] != 0 or name != self.root_name:
                raise self._error(
                    f"closing tag </{name}> does not match <{self.root_name}>", line_of(close)
                )
        return parent

    def _root_level(
        self,
        tags: _Tags,
        data: bytes,
        lt: _Ints,
        kind: _Codes,
        level: _Ints,
        depth_after: _Ints,
        line_of: _LineOf,
    ) -> None:
        """Check the root element, and that nothing but blanks stands outside it."""
        for tag in np.flatnonzero(level == 0).tolist():
            if kind[tag] == _CLOSE:
                self.root_closed = True
                continue
            code = int(tags.name_code[tag])
            name = tags.names[code] if code >= 0 else _tag_name(data, int(lt[tag]))
            if self.root_name is not None:
                raise self._error(
                    f"<{name}> after the end of the root element <{self.root_name}>",
                    line_of(tag),
                )
            if tags.category[tag] != _LOG:
                raise InputError(
                    f"not an XES log: the root element is <{name}>, not <log>",
                    f"{self.where}:{line_of(tag)}",
                    _FIX_NOT_XES,
                )
            self.root_name = name
            self.root_closed = kind[tag] == _EMPTY
        for tag in np.flatnonzero(depth_after == 0).tolist():
            stop = int(lt[tag + 1]) if tag + 1 < len(lt) else len(data)
            piece = data[int(lt[tag]) + 1 : stop]
            tag_end = _TAG_END.match(piece)
            self._check_blank(piece[tag_end.end() if tag_end else 0 :], line_of(tag))

    def _unclosed(
        self, tags: _Tags, is_open: _Bools, level: _Ints, depth: int, line_of: _LineOf
    ) -> InputError:
        """The error for an end of file with `depth` elements still open."""
        innermost = np.flatnonzero(is_open & (level == depth - 1))
        if not len(innermost):
            return self._error(f"unexpected end of file: <{self.root_name}> is not closed", None)
        tag = int(innermost[-1])
        name = tags.names[tags.name_code[tag]]
        return self._error(
            f"unexpected end of file: <{name}> opened on line {line_of(tag)} is not closed",
            line_of(tag),
        )

    def _check_blank(self, text: bytes, line: int) -> None:
        """Reject text outside the root element."""
        if text.strip(_XML_SPACE):
            raise self._error("text outside the root element", line)

    # -- rows --------------------------------------------------------------------------------

    def _rows(
        self,
        tags: _Tags,
        count: int,
        kind: _Codes,
        parent: _Ints,
        lt: _Ints,
        newlines: _Ints,
        line_of: _LineOf,
    ) -> pa.Table | None:
        """Pivot the attributes of the block's events and traces into columns."""
        category = tags.category[:count]
        is_element = (kind == _OPEN) | (kind == _EMPTY)
        events = np.flatnonzero(is_element & (category == _EVENT))
        traces = np.flatnonzero(is_element & (category == _TRACE))
        if not len(events) and not len(traces):
            return None
        parent_category = np.where(parent >= 0, category[np.maximum(parent, 0)], _LOG)
        event_number = np.full(count, -1, np.int64)
        event_number[events] = np.arange(len(events))
        trace_number = np.full(count, -1, np.int64)
        trace_number[traces] = np.arange(len(traces))
        event_trace = np.where(
            parent_category[events] == _TRACE, trace_number[np.maximum(parent[events], 0)], -1
        )
        read = _AttributeReader(self, tags, count, kind, parent, parent_category, line_of)
        columns = read(event_number, _EVENT, len(events))
        trace_columns = read(trace_number, _TRACE, len(traces))
        if len(traces):
            events_per_trace = np.bincount(event_trace[event_trace >= 0], minlength=len(traces))
            trace_names = trace_columns.get("concept:name")
            for number in np.flatnonzero(events_per_trace == 0).tolist():
                name = trace_names[number].as_py() if trace_names is not None else None
                self.rejects.append(
                    RawReject(
                        line=line_of(int(traces[number])),
                        reason=f"trace '{name or ''}' has no events",
                    )
                )
        if not len(events):
            return None
        if trace_columns:
            take = pa.array(event_trace, pa.int64(), mask=event_trace < 0)
            for key, values in trace_columns.items():
                columns["case:" + key] = values.take(take)
        columns.pop(LINE_COLUMN, None)  # reserved for the line, as in the other readers
        lines = self.line_base + np.searchsorted(newlines, lt[events]) + 1
        arrays = [values.cast(pa.string()) for values in columns.values()]
        arrays.append(pa.array(lines, pa.int64()))
        return pa.Table.from_arrays(arrays, names=[*columns, LINE_COLUMN])

    # -- errors ------------------------------------------------------------------------------

    def _error(self, what: str, line: int | None) -> InputError:
        where = self.where if line is None else f"{self.where}:{line}"
        return InputError(f"malformed XML: {what}", where, _FIX_MALFORMED)

    def _malformed(self, data: bytes, lt: _Ints, tag: int, line: int) -> InputError:
        start = int(lt[tag])
        stop = int(lt[tag + 1]) if tag + 1 < len(lt) else len(data)
        text = data[start:stop].split(b">")[0][:80].decode("utf-8", "replace")
        return self._error(f"cannot read the tag {text + '>'!r}", line)


@dataclass
class _AttributeReader:
    """Reads the attribute elements whose parent is an event, or a trace."""

    scanner: _Scanner
    tags: _Tags
    count: int
    kind: _Codes
    parent: _Ints
    parent_category: npt.NDArray[np.integer]
    line_of: _LineOf

    def __call__(self, number: _Ints, owner: int, rows: int) -> dict[str, pa.Array]:
        """Columns `rows` long, of the attributes of the `owner` elements (by `number`)."""
        if not rows:
            return {}
        tags = self.tags
        chosen = np.flatnonzero(
            (self.parent_category == owner)
            & (tags.value_index[: self.count] >= 0)
            & (tags.category[: self.count] == _ATTRIBUTE)
        )
        if not len(chosen):
            return {}
        index = tags.value_index[chosen]
        at = self.parent[chosen]
        keys = tags.keys.take(index)
        values = tags.values.take(index)
        return _pivot(number[at], keys, values, rows)


def _replace_entities(texts: pa.Array, where: pa.Array) -> pa.Array:
    """Replace the predefined entities (``&lt;`` ... ``&amp;``) in the texts `where` true."""
    if not pc.any(where).as_py():
        return texts
    replaced = texts
    for entity, character in (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&apos;", "'")):
        replaced = pc.replace_substring(replaced, entity, character)
    replaced = pc.replace_substring(replaced, "&amp;", "&")  # last: "&amp;lt;" means "&lt;"
    return pc.if_else(where, replaced, texts)


def _unquoted(found: pa.StructArray) -> pa.Array:
    """The text of a ``"double"`` or ``'single'`` quoted attribute matched by `_QUOTED`.

    RE2 reports a group that did not take part as an empty string, hence the ``q`` group."""
    return pc.if_else(pc.equal(found.field("q"), '"'), found.field("d"), found.field("s"))


def _flag(values: pa.Array) -> _Bools:
    """True where an optional captured ``/`` is present."""
    result: _Bools = pc.equal(values, "/").to_numpy(zero_copy_only=False)
    return result


def _tag_name(data: bytes, lt: int) -> str:
    """The name of the tag whose ``<`` is at `lt` (for messages)."""
    match = re.match(rb"/?([^\s/>]*)", data[lt + 1 : lt + 200])
    return match.group(1).decode("utf-8", "replace") if match else "?"


def _unescape(raw: str) -> str:
    """Normalize and unescape an attribute value as XML 1.0 does (sections 3.3.3, 4.6)."""
    if "\t" in raw or "\n" in raw:
        raw = raw.replace("\t", " ").replace("\n", " ")
    if "&" not in raw:
        return raw
    head, *rest = raw.split("&")
    out = [head]
    for part in rest:
        match = _REFERENCE.match(part)
        if match is None:
            name = part.split(";")[0][:20]
            raise ValueError(f"undefined entity or unescaped '&' near '&{name}' in an attribute")
        decimal, hexadecimal, entity = match.groups()
        if entity is not None:
            out.append(_ENTITIES[entity])
        else:
            code = int(decimal) if decimal is not None else int(hexadecimal, 16)
            if not (code in (9, 10, 13) or 0x20 <= code <= 0x10FFFF) or 0xD800 <= code <= 0xDFFF:
                raise ValueError(f"character reference &#{code}; is not allowed in XML")
            out.append(chr(code))
        out.append(part[match.end() :])
    return "".join(out)


def _pivot(rows: _Ints, keys: pa.Array, values: pa.Array, size: int) -> dict[str, pa.Array]:
    """Turn ``(row, key, value)`` triples, in document order, into columns `size` long."""
    encoded = pc.dictionary_encode(keys)
    codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    names = encoded.dictionary.to_pylist()
    order = np.argsort(codes, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(codes, minlength=len(names)))])
    columns: dict[str, pa.Array] = {}
    for code, name in enumerate(names):
        chosen = order[bounds[code] : bounds[code + 1]]
        target = rows[chosen]
        last = np.ones(len(target), np.bool_)
        last[:-1] = target[1:] != target[:-1]  # a key repeated in one element: the last wins
        index = np.full(size, -1, np.int64)
        index[target[last]] = chosen[last]
        columns[name] = values.take(pa.array(index, pa.int64(), mask=index < 0))
    return columns
