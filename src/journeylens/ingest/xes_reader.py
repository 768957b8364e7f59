"""Streaming reader for XES event logs (IEEE 1849-2016), plain or gzip-compressed.

The reader walks the file once with `lxml.etree.iterparse`, asks lxml only for the ``<event>``
and ``<trace>`` elements (any namespace, or none), and frees every element as soon as it has
been read, so memory stays flat however large the log is. Values are gathered into one Python
list per column and turned into Arrow arrays once per batch.

Output columns follow the pm4py convention:

* event attributes under their key (``concept:name``, ``time:timestamp``,
  ``lifecycle:transition``, ``org:resource``, any other key);
* trace attributes as ``case:<key>`` (the trace's ``concept:name`` becomes
  ``case:concept:name``), repeated on every event of the trace;
* `LINE_COLUMN`, the line of the ``<event>`` start tag.

Every value is a string, exactly as written in the file: dates keep their ISO text and offset,
booleans, integers and floats their lexical form. Parsing and validation happen later, once,
for all formats.

Deliberate simplifications
--------------------------
* Declarations in the log header (``<extension>``, ``<global>``, ``<classifier>``) and
  log-level attributes are ignored. In particular the default values of
  ``<global scope="event">`` / ``<global scope="trace">`` are *not* filled into events or
  traces that lack the attribute: a missing attribute stays null.
* Nested attributes (XES ``nested-attributes`` feature, ``<list>``, ``<container>``) are
  flattened to their top-level key, carrying the parent's ``value`` if it has one (null for
  lists and containers); the children are dropped.
* If a key repeats within one event or trace, the last occurrence wins. A trace attribute
  ``k`` and an event attribute literally named ``case:k`` share a column; the trace's value
  wins.
* ``ReadOptions.encoding`` is not used: an XML file declares its own encoding (UTF-8 when
  it does not), and lxml honours that declaration.
* Events outside any trace (allowed by some tools) get no ``case:`` values.
* A trace without events yields no row; it is reported as a `RawReject` in
  ``options.rejects`` so that it is counted, not silently lost.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Final

import pyarrow as pa
from lxml import etree

from journeylens.errors import InputError
from journeylens.ingest.base import LINE_COLUMN, RawReject, ReadOptions

__all__ = ["XesReader"]

#: Rows reserved up front per column; lists double when a batch outgrows them.
_INITIAL_CAPACITY: Final = 1024

_GZIP_MAGIC: Final = b"\x1f\x8b"

_FIX_MALFORMED: Final = (
    "repair or re-export the log from the tool that produced it; every element must be "
    "closed and special characters in values escaped (&amp; &lt; &gt; &quot;)"
)

_OTHER, _EVENT, _TRACE = 0, 1, 2


def _local_name(tag: str) -> str:
    """Return `tag` without its ``{namespace}`` prefix."""
    return tag.rpartition("}")[2]


class XesReader:
    """Read XES event logs (``.xes``, ``.xes.gz``) as batches of string columns.

    Examples
    --------
    >>> import tempfile
    >>> from journeylens.ingest.base import ReadOptions
    >>> xes = '''<?xml version="1.0" encoding="UTF-8"?>
    ... <log xes.version="1849-2016" xmlns="http://www.xes-standard.org/">
    ...   <trace>
    ...     <string key="concept:name" value="c1"/>
    ...     <event>
    ...       <string key="concept:name" value="open"/>
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
    [{'concept:name': 'open', 'time:timestamp': '2024-01-02T03:04:05.000+01:00',
      'case:concept:name': 'c1', '__line__': 5}]
    """

    suffixes: tuple[str, ...] = (".xes", ".xes.gz")

    def read(self, path: Path, options: ReadOptions) -> Iterator[pa.Table]:
        """Stream the events of an XES log.

        Parameters
        ----------
        path : Path
            The ``.xes`` or ``.xes.gz`` file; compression is detected from the content.
        options : ReadOptions
            ``batch_rows`` sets the rows per batch (a batch is cut at a trace boundary, so it
            may exceed ``batch_rows`` by up to one trace); empty traces are appended to
            ``rejects``.

        Yields
        ------
        pa.Table
            String columns, one per attribute key seen in the batch (null where an event
            lacks it), plus `LINE_COLUMN` (int64). Columns may differ between batches.

        Raises
        ------
        InputError
            If the file is missing, not valid XML, not gzip despite looking like it, or its
            root element is not ``<log>``.
        """
        where = str(path)
        try:
            with path.open("rb") as probe:
                compressed = probe.read(2) == _GZIP_MAGIC
        except OSError as err:
            raise InputError(
                f"cannot open the file: {err.strerror or err}",
                where,
                "check the path and the file permissions",
            ) from err
        source: IO[bytes] = gzip.open(path, "rb") if compressed else path.open("rb")
        try:
            yield from _read_batches(source, where, options)
        except etree.XMLSyntaxError as err:
            line = err.lineno if err.lineno else err.position[0]
            raise InputError(
                f"malformed XML: {err.msg}", f"{where}:{line}", _FIX_MALFORMED
            ) from err
        except (EOFError, zlib.error, gzip.BadGzipFile) as err:
            raise InputError(
                f"corrupt or truncated gzip data: {err}",
                where,
                "download or compress the file again (gunzip -t checks it)",
            ) from err
        finally:
            source.close()


def _read_batches(source: IO[bytes], where: str, options: ReadOptions) -> Iterator[pa.Table]:
    """Parse `source` and yield batches; see `XesReader.read`."""
    batch_rows = max(1, options.batch_rows)
    initial_capacity = min(batch_rows, _INITIAL_CAPACITY)
    rejects = options.rejects
    string = pa.string()

    # Per batch: one list per column, pre-filled with None up to `capacity`, indexed by row.
    capacity = initial_capacity
    columns: dict[str, list[str | None]] = {}
    lines: list[int] = []
    n = 0  # rows in the batch
    trace_start = 0  # first row of the trace being read
    kinds: dict[str, int] = {}  # tag -> _EVENT / _TRACE / _OTHER
    case_names: dict[str, str] = {}  # key -> "case:" + key
    log_tag: str | None = None

    def flush() -> pa.Table:
        names = [*columns, LINE_COLUMN]
        arrays = [pa.array(values[:n], type=string) for values in columns.values()]
        arrays.append(pa.array(lines, type=pa.int64()))
        return pa.Table.from_arrays(arrays, names=names)

    context = etree.iterparse(
        source,
        events=("end",),
        tag=("{*}event", "{*}trace"),
        remove_comments=True,
        remove_pis=True,
        huge_tree=True,
    )
    for _, element in context:
        tag = element.tag
        kind = kinds.get(tag)
        if kind is None:
            name = _local_name(tag)
            kind = kinds[tag] = _EVENT if name == "event" else _TRACE if name == "trace" else _OTHER
        if log_tag is None:
            root = element.getroottree().getroot()
            if _local_name(root.tag) != "log":
                raise _not_a_log(root.tag, where)
            log_tag = root.tag

        if kind == _EVENT:
            if n == capacity:
                for values in columns.values():
                    values.extend([None] * capacity)
                capacity *= 2
            for child in element:
                key = child.get("key")
                if key is None:
                    continue
                values = columns.get(key)  # type: ignore[assignment]
                if values is None:
                    values = columns[key] = [None] * capacity
                values[n] = child.get("value")
            lines.append(element.sourceline)  # type: ignore[arg-type]
            n += 1
            element.clear()
            parent = element.getparent()
            if parent is not None and parent.tag == log_tag:
                # An event outside any trace: a row of its own, no case attributes.
                trace_start = n
                while element.getprevious() is not None:
                    del parent[0]
                if n >= batch_rows:
                    yield flush()
                    columns, lines, n, trace_start = {}, [], 0, 0
                    capacity = initial_capacity

        elif kind == _TRACE:
            if n == trace_start:
                name_value = next(
                    (c.get("value") for c in element if c.get("key") == "concept:name"), None
                )
                rejects.append(
                    RawReject(
                        line=element.sourceline,
                        reason=f"trace '{name_value or ''}' has no events",
                        raw=None,
                    )
                )
            else:
                size = n - trace_start
                for child in element:
                    key = child.get("key")
                    if key is None:  # an <event>, already read
                        continue
                    case_key = case_names.get(key)
                    if case_key is None:
                        case_key = case_names[key] = "case:" + key
                    values = columns.get(case_key)  # type: ignore[assignment]
                    if values is None:
                        values = columns[case_key] = [None] * capacity
                    values[trace_start:n] = [child.get("value")] * size
            trace_start = n
            element.clear()
            parent = element.getparent()
            if parent is not None:
                while element.getprevious() is not None:
                    del parent[0]
            if n >= batch_rows:
                yield flush()
                columns, lines, n, trace_start = {}, [], 0, 0
                capacity = initial_capacity

    if log_tag is None:
        root_tag = context.root.tag  # type: ignore[attr-defined]
        if _local_name(root_tag) != "log":
            raise _not_a_log(root_tag, where)
    if n:
        yield flush()


def _not_a_log(tag: str, where: str) -> InputError:
    """Return the error for an XML file that is not an XES log."""
    return InputError(
        f"not an XES log: the root element is <{_local_name(tag)}>, not <log>",
        where,
        "export the event log as XES (IEEE 1849-2016), or use a reader for this format",
    )
