"""The XES reader: exact values and lines, round trips, errors, and real logs against pm4py."""

from __future__ import annotations

import gzip
import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from journeylens.errors import InputError
from journeylens.ingest.base import LINE_COLUMN, RawReject, ReadOptions
from journeylens.ingest.xes_reader import XesReader

#: ../shared/data next to the repository (absent on machines without the shared folder).
DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"

SAMPLE = """<?xml version="1.0" encoding="UTF-8"?>
<!-- written by hand; this comment mentions <event> and must not count -->
<log xes.version="1849-2016" xes.features="nested-attributes" xmlns="http://www.xes-standard.org/">
  <extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>
  <global scope="event">
    <string key="org:resource" value="DEFAULT"/>
  </global>
  <classifier name="Activity" keys="concept:name"/>
  <string key="source" value="hand"/>
  <trace>
    <string key="concept:name" value="case-1"/>
    <int key="priority" value="3"/>
    <event>
      <string key="concept:name" value="Register &amp; check"/>
      <string key="lifecycle:transition" value="complete"/>
      <string key="org:resource" value="Anna"/>
      <date key="time:timestamp" value="2024-03-01T09:15:00.000+01:00"/>
    </event>
    <event>
      <string key="concept:name" value="Approve" />
      <date key="time:timestamp" value="2024-03-02T17:00:00-05:30"/>
      <boolean key="urgent" value="true"/>
    </event>
  </trace>
  <trace>
    <string key="concept:name" value="case-2"/>
    <event>
      <string key="concept:name" value="Register"/>
      <float key="cost" value="12.50"/>
      <date key="time:timestamp" value="2024-03-03T08:00:00Z"/>
    </event>
  </trace>
</log>
"""

SAMPLE_ROWS = [
    {
        "concept:name": "Register & check",
        "lifecycle:transition": "complete",
        "org:resource": "Anna",
        "time:timestamp": "2024-03-01T09:15:00.000+01:00",
        "urgent": None,
        "cost": None,
        "case:concept:name": "case-1",
        "case:priority": "3",
        LINE_COLUMN: 13,
    },
    {
        "concept:name": "Approve",
        "lifecycle:transition": None,
        "org:resource": None,  # the <global> default is not applied
        "time:timestamp": "2024-03-02T17:00:00-05:30",
        "urgent": "true",
        "cost": None,
        "case:concept:name": "case-1",
        "case:priority": "3",
        LINE_COLUMN: 19,
    },
    {
        "concept:name": "Register",
        "lifecycle:transition": None,
        "org:resource": None,
        "time:timestamp": "2024-03-03T08:00:00Z",
        "urgent": None,
        "cost": "12.50",
        "case:concept:name": "case-2",
        "case:priority": None,
        LINE_COLUMN: 27,
    },
]


def _write(tmp: Path, text: str, name: str = "log.xes", encoding: str = "utf-8") -> Path:
    path = tmp / name
    raw = text.encode(encoding)
    path.write_bytes(gzip.compress(raw) if name.endswith(".gz") else raw)
    return path


def _read(
    path: Path, block_bytes: int | None = None, **options: Any
) -> tuple[pa.Table, ReadOptions]:
    opts = ReadOptions(**options)
    reader = XesReader() if block_bytes is None else XesReader(block_bytes=block_bytes)
    batches = list(reader.read(path, opts))
    if not batches:
        return pa.table({}), opts
    return pa.concat_tables(batches, promote_options="default"), opts


def _rows(table: pa.Table) -> list[dict[str, Any]]:
    return table.to_pylist()


def _data_file(relative: str) -> Path:
    path = DATA / relative
    if not path.exists():
        pytest.skip(f"real data {path} is absent (the shared/data folder is not next to the repo)")
    return path


# -- a hand-written log ------------------------------------------------------------------------


def test_hand_written_log_gives_exact_columns_values_and_lines(tmp_path: Path) -> None:
    table, options = _read(_write(tmp_path, SAMPLE))
    assert set(table.column_names) == set(SAMPLE_ROWS[0])
    assert table.schema.field(LINE_COLUMN).type == pa.int64()
    assert all(
        table.schema.field(name).type == pa.string()
        for name in table.column_names
        if name != LINE_COLUMN
    )
    assert _rows(table) == SAMPLE_ROWS
    assert options.rejects == []


@pytest.mark.parametrize("block_bytes", [*range(1, 90), 97, 128, 333, 500, 777, 1024])
def test_block_boundaries_do_not_change_the_result(tmp_path: Path, block_bytes: int) -> None:
    table, _ = _read(_write(tmp_path, SAMPLE), block_bytes=block_bytes)
    assert _rows(table.select(list(SAMPLE_ROWS[0]))) == SAMPLE_ROWS


@pytest.mark.parametrize(
    ("name", "encoding", "text"),
    [
        ("log.xes.gz", "utf-8", SAMPLE),
        ("log.xes", "utf-8-sig", SAMPLE),
        ("log.xes", "utf-16", SAMPLE.replace('encoding="UTF-8"', 'encoding="UTF-16"')),
        ("log.xes", "latin-1", SAMPLE.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"')),
        ("log.xes", "utf-8", SAMPLE.replace("\n", "\r\n")),
        ("log.xes", "utf-8", SAMPLE.replace("\n", "\r")),
        ("log.xes", "utf-8", SAMPLE.replace(' xmlns="http://www.xes-standard.org/"', "")),
    ],
    ids=["gzip", "bom", "utf16", "latin1", "crlf", "cr", "no-namespace"],
)
def test_compression_encodings_line_ends_and_namespaces_read_the_same(
    tmp_path: Path, name: str, encoding: str, text: str
) -> None:
    path = _write(tmp_path, text, name, encoding)
    for block_bytes in (1, 7, None):
        table, _ = _read(path, block_bytes=block_bytes)
        assert _rows(table.select(list(SAMPLE_ROWS[0]))) == SAMPLE_ROWS


def test_prefixed_elements_single_quotes_other_attribute_order_and_entities(
    tmp_path: Path,
) -> None:
    text = (
        "<x:log xmlns:x='http://www.xes-standard.org/'>\n"
        "<x:trace><x:string value='t &#x263A;' key='concept:name'/>\n"
        '<x:event><x:string value="a&#10;b &lt;c&gt; &quot;d&quot; &apos;e&apos;" '
        'key="concept:name" />\n'
        "<x:string key='k' value='tab\there'/><x:string key=\"v\" value='&amp;&#38;'/>"
        "</x:event></x:trace>\n</x:log>\n"
    )
    table, _ = _read(_write(tmp_path, text))
    assert _rows(table) == [
        {
            "concept:name": "a\nb <c> \"d\" 'e'",
            "k": "tab here",  # a literal tab in an attribute value is normalized to a space
            "v": "&&",
            "case:concept:name": "t \u263a",
            LINE_COLUMN: 3,
        }
    ]


def test_a_declared_single_byte_encoding_is_honoured(tmp_path: Path) -> None:
    text = (
        '<?xml version="1.0" encoding="windows-1252"?>\n<log><trace>'
        '<string key="concept:name" value="caf\u00e9 \u20ac"/><event/></trace></log>'
    )
    for block_bytes in (1, None):
        table, _ = _read(_write(tmp_path, text, encoding="cp1252"), block_bytes=block_bytes)
        assert table.column("case:concept:name").to_pylist() == ["caf\u00e9 \u20ac"]


def test_nested_attributes_are_flattened_to_their_key(tmp_path: Path) -> None:
    text = """<log>
<trace><string key="concept:name" value="c"/>
<event>
  <string key="concept:name" value="a"/>
  <list key="items">
    <values><string key="item" value="1"/><string key="item" value="2"/></values>
  </list>
  <container key="box"><string key="inner" value="x"/></container>
  <string key="parent" value="p"><string key="child" value="c"/></string>
</event>
</trace>
</log>"""
    table, _ = _read(_write(tmp_path, text))
    assert _rows(table) == [
        {
            "concept:name": "a",
            "items": None,
            "box": None,
            "parent": "p",
            "case:concept:name": "c",
            LINE_COLUMN: 3,
        }
    ]


def test_events_outside_traces_get_no_case_values(tmp_path: Path) -> None:
    text = (
        '<log>\n<event><string key="concept:name" value="loose"/></event>\n'
        '<trace><string key="concept:name" value="c"/>'
        '<event><string key="concept:name" value="in"/></event></trace>\n'
        "<event/>\n</log>"
    )
    table, _ = _read(_write(tmp_path, text))
    assert _rows(table) == [
        {"concept:name": "loose", "case:concept:name": None, LINE_COLUMN: 2},
        {"concept:name": "in", "case:concept:name": "c", LINE_COLUMN: 3},
        {"concept:name": None, "case:concept:name": None, LINE_COLUMN: 4},
    ]


def test_trace_attributes_after_the_events_and_repeated_keys(tmp_path: Path) -> None:
    text = """<log><trace>
<event><string key="a" value="1"/><string key="a" value="2"/></event>
<string key="concept:name" value="late"/>
</trace></log>"""
    table, _ = _read(_write(tmp_path, text))
    assert _rows(table) == [{"a": "2", "case:concept:name": "late", LINE_COLUMN: 2}]


def test_batches_have_about_batch_rows_rows(tmp_path: Path) -> None:
    events = "".join(
        f'<event><string key="concept:name" value="e{i}"/>'
        + (f'<string key="only{i % 3}" value="x"/>' if i % 2 else "")
        + "</event>\n"
        for i in range(50)
    )
    text = f'<log>\n<trace><string key="concept:name" value="c"/>\n{events}</trace>\n</log>'
    batches = list(
        XesReader(block_bytes=200).read(_write(tmp_path, text), ReadOptions(batch_rows=8))
    )
    assert [b.num_rows for b in batches] == [8] * 6 + [2]
    for batch in batches:  # within a batch, every row has every column (nulls where absent)
        assert all(len(column) == batch.num_rows for column in batch.columns)
    rows = _rows(pa.concat_tables(batches, promote_options="default"))
    assert [r["concept:name"] for r in rows] == [f"e{i}" for i in range(50)]
    assert [r[LINE_COLUMN] for r in rows] == list(range(3, 53))


# -- empty traces and malformed files ------------------------------------------------------------


def test_an_empty_trace_is_counted_as_a_reject(tmp_path: Path) -> None:
    text = """<log>
<trace>
  <string key="concept:name" value="lonely"/>
</trace>
<trace/>
<trace><string key="concept:name" value="full"/><event/></trace>
</log>"""
    table, options = _read(_write(tmp_path, text))
    assert table.num_rows == 1
    assert options.rejects == [
        RawReject(line=2, reason="trace 'lonely' has no events"),
        RawReject(line=5, reason="trace '' has no events"),
    ]


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("<log>\n<trace>\n<event>\n</trace>\n</log>", 4, "</trace> does not match <event>"),
        ("<log>\n<trace>\n<event></event>\n", 2, "<trace> opened on line 2 is not closed"),
        ("<log>\n<trace><event>\n<string key='a' value='x'/>\n", 2, "<event> opened on line 2"),
        ('<log>\n<trace>\n<string key="a" value="x & y"/>\n</trace></log>', 3, "&"),
        ('<log>\n<trace>\n<string key="a" value="x < y"/>\n</trace></log>', 3, "cannot read"),
        ('<log>\n\n<string key="a value="x"/>\n</log>', 3, "cannot read"),
        ("<log>\n</log>\n<log/>", 3, "after the end of the root"),
        ("<log>\n</log>\ntrailing", 2, "text outside"),
        ("<log>\n<!-- never closed\n</log>", 2, "unterminated comment"),
        ("<log>\n</trace>\n</log>", 2, "</trace> does not match <log>"),
        ("</log>", 1, "without a matching"),
        ("<log>\n<trace>\n<event/>\n</event>\n</trace></log>", 4, "</event> does not match"),
        ("<log>\n<trace>\nfish &chips\n</trace></log>", 3, "'&chips'"),
        ('<log>\n<extension uri="a&b"/>\n</log>', 2, "'&b'"),
        ('\n<?xml version="1.0"?>\n<log/>', 2, "XML declaration is not at the start"),
        ('<?xml version="1.0" encoding=?>\n<log/>', 1, "malformed XML declaration"),
        ("<log>\n<?-x?>\n</log>", 2, "malformed processing instruction"),
    ],
)
def test_malformed_xml_raises_an_input_error_with_the_line(
    tmp_path: Path, text: str, line: int | None, fragment: str
) -> None:
    path = _write(tmp_path, text)
    for block_bytes in (1, 16, 1 << 20):
        with pytest.raises(InputError) as caught:
            _read(path, block_bytes=block_bytes)
        error = caught.value
        assert fragment in error.what
        assert error.where == (f"{path}:{line}" if line else str(path)), str(error)
        assert error.fix


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (b"", "no <log> element"),
        (b"  \n ", "no <log> element"),
        (b"<html><body/></html>", "not an XES log"),
        (b'<?xml version="1.0"?>\n<log>\n<string key="a" value="\xff"/>\n</log>', "UTF-8"),
        (gzip.compress(b"<log></log>")[:-12], "gzip"),
    ],
)
def test_files_that_are_not_xes_raise_an_input_error(
    tmp_path: Path, raw: bytes, fragment: str
) -> None:
    path = tmp_path / "bad.xes"
    path.write_bytes(raw)
    with pytest.raises(InputError, match=re.escape(fragment)):
        _read(path)


def test_a_missing_file_raises_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot open"):
        _read(tmp_path / "nope.xes")


def test_line_numbers_stay_exact_past_65535(tmp_path: Path) -> None:
    filler = '<string key="pad" value="x"/>\n' * 70_000  # libxml2 approximates lines here
    text = (
        f"<log>\n{filler}<trace>\n<event>\n"
        '<string key="concept:name" value="a"/>\n</event>\n'
        '<event><string key="concept:name" value="b"/></event>\n</trace>\n</log>\n'
    )
    table, _ = _read(_write(tmp_path, text), block_bytes=1 << 16)
    assert table.column(LINE_COLUMN).to_pylist() == [70_003, 70_006]


# -- round trips ---------------------------------------------------------------------------------

_XML_CHARS = st.characters(
    blacklist_categories=("Cs", "Cc", "Cn"), blacklist_characters="\ufeff"
) | st.sampled_from("\t\n\r&<>\"'; ")
_TEXT = st.text(_XML_CHARS, max_size=12)
_KEY = st.one_of(
    st.sampled_from(["concept:name", "time:timestamp", "org:resource", "lifecycle:transition"]),
    st.text(_XML_CHARS, min_size=1, max_size=8).filter(
        lambda k: not k.startswith("case:") and k != LINE_COLUMN  # documented collisions
    ),
)
_ATTRS = st.dictionaries(_KEY, _TEXT, max_size=4)
_EVENTS = st.lists(_ATTRS, max_size=4)
_TRACE = st.tuples(st.one_of(st.none(), _TEXT), _ATTRS, _EVENTS)
_LOG = st.lists(st.one_of(_TRACE, _ATTRS.map(lambda attrs: (None, None, [attrs]))), max_size=6)
_STYLE = st.fixed_dictionaries(
    {
        "prefix": st.sampled_from(["", "xes:"]),
        "namespace": st.booleans(),
        "quote": st.sampled_from(['"', "'"]),
        "value_first": st.booleans(),
        "close": st.sampled_from(["/>", " />"]),
        "newline": st.sampled_from(["\n", "\r\n"]),
        "indent": st.sampled_from(["", "\t", "  "]),
        "comments": st.booleans(),
        "header": st.booleans(),
        "gzip": st.booleans(),
        "block_bytes": st.sampled_from([1, 13, 64, 4096, 1 << 22]),
        "batch_rows": st.sampled_from([1, 3, 1000]),
    }
)


def _escape(value: str, quote: str) -> str:
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    value = value.replace('"', "&quot;") if quote == '"' else value.replace("'", "&apos;")
    return value.replace("\t", "&#9;").replace("\n", "&#10;").replace("\r", "&#13;")


def _to_xes(log: list[Any], style: dict[str, Any]) -> tuple[str, list[dict[str, Any]], list[int]]:
    """Write `log` as XES in `style`; return the text, the expected rows and reject lines."""
    p, q, pad = style["prefix"], style["quote"], style["indent"]
    lines: list[str] = ['<?xml version="1.0" encoding="UTF-8"?>']
    namespace = f" xmlns{':xes' if p else ''}={q}http://www.xes-standard.org/{q}"
    lines.append(
        f"<{p}log xes.version={q}1849-2016{q}{namespace if style['namespace'] or p else ''}>"
    )
    if style["header"]:
        lines.append(f"{pad}<{p}extension name={q}Concept{q} prefix={q}concept{q} uri={q}x{q}/>")
        lines.append(f"{pad}<{p}global scope={q}event{q}>")
        lines.append(f"{pad}{pad}<{p}string key={q}concept:name{q} value={q}__INVALID__{q}/>")
        lines.append(f"{pad}</{p}global>")
    expected: list[dict[str, Any]] = []
    rejects: list[int] = []

    def attribute(key: str, value: str, depth: int) -> str:
        k, v = f"key={q}{_escape(key, q)}{q}", f"value={q}{_escape(value, q)}{q}"
        pair = f"{v} {k}" if style["value_first"] else f"{k} {v}"
        return f"{pad * depth}<{p}string {pair}{style['close']}"

    for name, trace_attrs, events in log:
        if style["comments"]:
            lines.append(f"{pad}<!-- a <trace> in a comment, line {len(lines) + 1} -->")
        in_trace = trace_attrs is not None
        depth = 2 if in_trace else 1
        case: dict[str, Any] = {}
        if in_trace:
            lines.append(f"{pad}<{p}trace>")
            trace_line = len(lines)
            attrs = dict(trace_attrs)
            if name is not None:
                attrs["concept:name"] = name
            for key, value in attrs.items():
                lines.append(attribute(key, value, depth))
                case[f"case:{key}"] = value
            if not events:
                rejects.append(trace_line)
        for event in events:
            lines.append(f"{pad * depth}<{p}event>")
            expected.append({**event, **case, LINE_COLUMN: len(lines)})
            for key, value in event.items():
                lines.append(attribute(key, value, depth + 1))
            lines.append(f"{pad * depth}</{p}event>")
        if in_trace:
            lines.append(f"{pad}</{p}trace>")
    lines.append(f"</{p}log>")
    return style["newline"].join(lines) + style["newline"], expected, rejects


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(log=_LOG, style=_STYLE)
def test_random_logs_round_trip(log: list[Any], style: dict[str, Any]) -> None:
    text, expected, reject_lines = _to_xes(log, style)
    with tempfile.TemporaryDirectory() as tmp:
        path = _write(Path(tmp), text, "log.xes.gz" if style["gzip"] else "log.xes")
        options = ReadOptions(batch_rows=style["batch_rows"])
        batches = list(XesReader(block_bytes=style["block_bytes"]).read(path, options))
    assert all(b.num_rows == style["batch_rows"] for b in batches[:-1])
    rows = pa.concat_tables(batches, promote_options="default").to_pylist() if batches else []
    got = [{k: v for k, v in row.items() if v is not None} for row in rows]
    assert got == expected
    assert [r.line for r in options.rejects] == reject_lines


def _lxml_rows(data: bytes) -> list[dict[str, str]] | None:
    """What a tree reader sees: None if the root is not <log>."""
    from lxml import etree

    def local(tag: str) -> str:
        return tag.rpartition("}")[2]

    def attributes(element: Any) -> dict[str, str]:
        return {
            child.get("key"): child.get("value")
            for child in element
            if isinstance(child.tag, str)
            and child.get("key") is not None
            and local(child.tag) not in ("event", "trace")
        }

    root = etree.fromstring(data, etree.XMLParser(resolve_entities=False))
    if local(root.tag) != "log":
        return None
    rows: list[dict[str, str]] = []
    for child in root:
        if isinstance(child.tag, str) and local(child.tag) == "event":
            rows.append(attributes(child))
        elif isinstance(child.tag, str) and local(child.tag) == "trace":
            case = {f"case:{k}": v for k, v in attributes(child).items()}
            events = [e for e in child if isinstance(e.tag, str) and local(e.tag) == "event"]
            rows.extend({**attributes(event), **case} for event in events)
    return [{k: v for k, v in row.items() if v is not None} for row in rows]


_EDIT = st.tuples(
    st.integers(0, len(SAMPLE) - 1),
    st.sampled_from(["delete", "insert", "replace"]),
    st.sampled_from(list(b"<>\"'/=& !-?[]\n\tabx:;#")),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits=st.lists(_EDIT, min_size=1, max_size=3), block_bytes=st.sampled_from([3, 50, 4096]))
def test_damaged_logs_read_as_lxml_reads_them_or_raise_an_input_error(
    edits: list[tuple[int, str, int]], block_bytes: int
) -> None:
    from lxml import etree

    data = bytearray(SAMPLE.encode())
    for position, operation, byte in edits:
        at = min(position, len(data) - 1)
        if operation == "delete":
            del data[at]
        elif operation == "insert":
            data.insert(at, byte)
        else:
            data[at] = byte
    try:
        expected = _lxml_rows(bytes(data))
    except etree.XMLSyntaxError:
        expected = None  # some damage this reader tolerates (namespace rules, see its docs)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "damaged.xes"
        path.write_bytes(bytes(data))
        try:
            batches = list(XesReader(block_bytes=block_bytes).read(path, ReadOptions()))
        except InputError:
            assert expected is None, "lxml reads this log"
            return
    if expected is not None:
        rows = pa.concat_tables(batches, promote_options="default").to_pylist() if batches else []
        got = [{k: v for k, v in r.items() if v is not None and k != LINE_COLUMN} for r in rows]
        assert got == expected


# -- real logs -----------------------------------------------------------------------------------


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def _pm4py_rows(path: Path) -> list[tuple[str, str, datetime]]:
    pm4py = pytest.importorskip("pm4py", reason="pm4py (test-only oracle) is not installed")
    frame = pm4py.read_xes(str(path), show_progress_bar=False)
    return [
        (str(case), str(activity), stamp.to_pydatetime().astimezone(UTC))
        for case, activity, stamp in zip(
            frame["case:concept:name"], frame["concept:name"], frame["time:timestamp"], strict=True
        )
    ]


def _our_rows(table: pa.Table) -> list[tuple[str, str, datetime]]:
    return [
        (case, activity, _utc(stamp))
        for case, activity, stamp in zip(
            table.column("case:concept:name").to_pylist(),
            table.column("concept:name").to_pylist(),
            table.column("time:timestamp").to_pylist(),
            strict=True,
        )
    ]


def test_helpdesk_has_21348_events_of_4580_cases_with_exact_lines() -> None:
    path = _data_file("helpdesk/helpdesk.xes.gz")
    table, options = _read(path)
    assert table.num_rows == 21_348
    assert len(set(table.column("case:concept:name").to_pylist())) == 4_580
    assert options.rejects == []
    with gzip.open(path, "rt", encoding="utf-8") as text:
        event_lines = [n for n, line in enumerate(text, 1) if "<event>" in line]
    assert table.column(LINE_COLUMN).to_pylist() == event_lines  # exact past line 65,535


@pytest.mark.parametrize(
    "relative",
    [
        "helpdesk/helpdesk.xes.gz",
        "pm4py_fixtures/running-example.xes",
        "pm4py_fixtures/roadtraffic100traces.xes",
    ],
)
def test_real_logs_give_every_value_lxml_gives(relative: str) -> None:
    path = _data_file(relative)
    table, _ = _read(path)
    raw = path.read_bytes()
    expected = _lxml_rows(gzip.decompress(raw) if relative.endswith(".gz") else raw)
    got = [{k: v for k, v in r.items() if v is not None and k != LINE_COLUMN} for r in _rows(table)]
    assert got == expected


def test_running_example_matches_pm4py() -> None:
    path = _data_file("pm4py_fixtures/running-example.xes")
    table, _ = _read(path)
    assert sorted(_our_rows(table)) == sorted(_pm4py_rows(path))


def test_roadtraffic_matches_pm4py_row_for_row() -> None:
    path = _data_file("pm4py_fixtures/roadtraffic100traces.xes")
    table, _ = _read(path)
    assert _our_rows(table) == _pm4py_rows(path)


@pytest.mark.slow
def test_domestic_declarations_has_as_many_rows_as_pm4py() -> None:
    path = _data_file("bpic2020/DomesticDeclarations.xes.gz")
    table, options = _read(path)
    pm4py = pytest.importorskip("pm4py", reason="pm4py (test-only oracle) is not installed")
    frame = pm4py.read_xes(str(path), show_progress_bar=False)
    assert table.num_rows == len(frame) == 55_628
    assert options.rejects == []
