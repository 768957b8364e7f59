"""Turning a mapped source batch into canonical rows, and every bad row into a reason.

Checks are vectorised over the batch (Arrow and pandas), so millions of rows validate in
seconds. A row that fails any check is rejected once, with the first failing field; the others
come out typed and normalised (UTC timestamps, lower-case channels).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pajson

from journeylens.errors import ConfigError
from journeylens.ingest.base import LINE_COLUMN
from journeylens.ingest.mapping import CASE_PREFIX, ResolvedMapping
from journeylens.ingest.timestamps import check_date_format, check_timezone, parse_utc
from journeylens.store.schema import (
    DEFAULT_SCALES,
    FEEDBACK_KINDS,
    IDENTIFIER_FIELDS,
    INITIATORS,
)


@dataclass
class ParseOptions:
    """How values are read.

    Parameters
    ----------
    date_format : str or None
        ``strptime`` format of the timestamps; None reads ISO 8601.
    timezone : str
        IANA zone of timestamps that carry no offset.
    decimal : str
        Decimal separator of numbers (``","`` in much of Europe).
    """

    date_format: str | None = None
    timezone: str = "UTC"
    decimal: str = "."

    def __post_init__(self) -> None:
        check_timezone(self.timezone)
        check_date_format(self.date_format)
        if len(self.decimal) != 1 or self.decimal.isdigit() or self.decimal in "+-":
            raise ConfigError(
                f"'{self.decimal}' is not a decimal separator", "--decimal", "use . or ,"
            )


@dataclass
class Rejects:
    """Rejected rows of one batch: positions in the batch, field and reason."""

    rows: list[int] = field(default_factory=list)
    fields: list[str | None] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    def add(self, mask: np.ndarray, ok: np.ndarray, fld: str, reason: Callable[[int], str]) -> None:
        """Reject rows where ``mask`` holds and that are still ``ok``; update ``ok``."""
        for row in np.flatnonzero(mask & ok):
            self.rows.append(int(row))
            self.fields.append(fld)
            self.reasons.append(reason(int(row)))
        ok &= ~mask


#: Common channel names that mean one of the known channels.
CHANNEL_SYNONYMS: dict[str, str] = {
    "internet": "web",
    "online": "web",
    "website": "web",
    "e-mail": "email",
    "mail-in": "mail",
    "post": "mail",
    "letter": "mail",
    "telephone": "phone",
    "call": "phone",
    "voice": "phone",
    "call centre": "phone",
    "call center": "phone",
    "desk": "store",
    "counter": "store",
    "shop": "store",
    "branch": "store",
    "mobile app": "app",
    "webchat": "chat",
    "live chat": "chat",
    "text": "sms",
}


def normalise_channels(channel: pa.Array) -> pa.Array:
    """Lower-cased channels with common synonyms replaced, ``unknown`` where missing.

    Examples
    --------
    >>> normalise_channels(pa.array(["Internet", "Desk", None, "phone"])).to_pylist()
    ['web', 'store', 'unknown', 'phone']
    """
    lowered = pc.utf8_lower(channel)
    encoded = pc.dictionary_encode(lowered)
    names = [CHANNEL_SYNONYMS.get(v, v) for v in encoded.dictionary.to_pylist()]
    mapped = pc.take(pa.array(names, pa.string()), encoded.indices)
    return pc.fill_null(mapped, "unknown")


def _field(batch: pa.Table, resolved: ResolvedMapping, name: str) -> pa.Array:
    """The text of canonical field ``name``: its source column, through its value rule if any."""
    text = _text(batch, resolved.fields.get(name))
    rule = resolved.rules.get(name)
    if rule is None:
        return text
    if rule.value is not None:
        return pa.array([rule.value] * batch.num_rows, pa.string())
    encoded = pc.dictionary_encode(text)
    translated = pa.array([rule.translate(v) for v in encoded.dictionary.to_pylist()], pa.string())
    result = pc.take(translated, encoded.indices)
    if rule.default is not None:
        result = pc.fill_null(result, rule.default)
    return result


def _text(batch: pa.Table, source: str | None) -> pa.Array:
    """A source column as trimmed text with empty values as null (all-null if absent)."""
    if source is None:
        return pa.nulls(batch.num_rows, pa.string())
    column = batch.column(source).combine_chunks()
    if not pa.types.is_string(column.type):
        if pa.types.is_large_string(column.type) or pa.types.is_dictionary(column.type):
            column = column.cast(pa.string())
        else:
            column = pc.cast(column, pa.string())
    column = pc.utf8_trim_whitespace(column)
    return pc.if_else(pc.equal(column, ""), pa.scalar(None, pa.string()), column)


def _values(array: pa.Array) -> Callable[[int], str]:
    """Shows the value of one row in a reason (read only for rejected rows)."""
    return lambda row: repr(array[row].as_py())


def _json_objects(batch: pa.Table, columns: list[str], strip_prefix: str = "") -> pa.Array:
    """One JSON object per row from ``columns`` (nulls left out); null when all are null.

    Values keep their JSON type where they have one (numbers stay numbers, also next to nulls);
    dates and times become ISO text. Keys are sorted, so the same record exported with its
    columns in another order has the same attributes (and the same content id).

    Examples
    --------
    >>> batch = pa.table({"n": pa.array([1, None]), "case:x": ["a", None]})
    >>> _json_objects(batch, ["n", "case:x"], "case:").to_pylist()
    ['{"n": 1, "x": "a"}', None]
    """
    if not columns:
        return pa.nulls(batch.num_rows, pa.string())
    names = [c[len(strip_prefix) :] if c.startswith(strip_prefix) else c for c in columns]
    values = [batch.column(c).to_pylist() for c in columns]
    objects: list[str | None] = []
    for row in zip(*values, strict=True):
        kept = {k: _plain(v) for k, v in zip(names, row, strict=True) if not _is_missing(v)}
        text = json.dumps(kept, ensure_ascii=False, sort_keys=True, default=_json_text)
        objects.append(text if kept else None)
    return pa.array(objects, pa.string())


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def _plain(value: object) -> object:
    if isinstance(value, float) and not np.isfinite(value):
        return str(value)  # JSON has no infinity
    return value


def _json_text(value: object) -> str:
    isoformat = getattr(value, "isoformat", None)
    if callable(isoformat):
        return str(isoformat())
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def _merge_attributes(given: pa.Array, extra: pa.Array) -> pa.Array:
    """Merge a source ``attributes`` JSON column with leftover columns (leftovers win)."""
    if extra.null_count == len(extra):
        return given
    if given.null_count == len(given):
        return extra
    merged: list[str | None] = []
    for a, b in zip(given.to_pylist(), extra.to_pylist(), strict=True):
        if a is None or b is None:
            merged.append(a if b is None else b)
            continue
        try:
            base = json.loads(a)
        except json.JSONDecodeError:
            base = {"attributes": a}
        merged.append(json.dumps({**base, **json.loads(b)}, ensure_ascii=False, sort_keys=True))
    return pa.array(merged, pa.string())


def _json_object_rows(array: pa.Array) -> np.ndarray:
    """Rows of ``array`` that are not one JSON object (nulls pass).

    The whole column is parsed at once by Arrow's JSON reader (one object per line); only when
    that fails are rows checked one by one, to name the bad ones.
    """
    bad = np.zeros(len(array), dtype=bool)
    present = pc.is_valid(array).to_numpy(zero_copy_only=False)
    if not present.any():
        return bad
    values = array.filter(pa.array(present))
    has_newline = pc.any(pc.match_substring(values, "\n")).as_py()
    if not has_newline:
        try:
            parsed = pajson.read_json(
                pa.BufferReader(_lines(values)),
                parse_options=pajson.ParseOptions(
                    explicit_schema=pa.schema([]), unexpected_field_behavior="ignore"
                ),
            )
            if parsed.num_rows == len(values):
                return bad
        except pa.ArrowInvalid:
            pass
    for row in np.flatnonzero(present):
        try:
            bad[row] = not isinstance(json.loads(array[int(row)].as_py()), dict)
        except json.JSONDecodeError:
            bad[row] = True
    return bad


def _lines(values: pa.Array) -> pa.Buffer:
    """The non-null strings of ``values`` as one buffer, each ended by a newline.

    Examples
    --------
    >>> _lines(pa.array(["{}", '{"a": 1}'])).to_pybytes()
    b'{}\\n{"a": 1}\\n'
    """
    ended = pc.binary_join_element_wise(values, pa.scalar(""), "\n")
    ended = ended.combine_chunks() if isinstance(ended, pa.ChunkedArray) else ended
    offsets = np.frombuffer(ended.buffers()[1], dtype=np.int32)[ended.offset :]
    start, stop = int(offsets[0]), int(offsets[len(ended)])
    data: pa.Buffer = ended.buffers()[2]
    return data.slice(start, stop - start)


def _check_json_objects(array: pa.Array, ok: np.ndarray, rejects: Rejects, fld: str) -> None:
    rejects.add(
        _json_object_rows(array) & ok,
        ok,
        fld,
        lambda row: f'\'{fld}\' must be a JSON object, e.g. {{"plan": "basic"}}',
    )


def _timestamps(
    batch: pa.Table,
    resolved: ResolvedMapping,
    options: ParseOptions,
    ok: np.ndarray,
    rejects: Rejects,
) -> pa.Array:
    source = resolved.fields.get("ts")
    if source is None:
        rejects.add(
            np.ones(batch.num_rows, dtype=bool),
            ok,
            "ts",
            lambda row: "no timestamp column; map one with --map ts=<column>",
        )
        return pa.nulls(batch.num_rows, pa.timestamp("us"))
    raw = batch.column(source)
    parsed = parse_utc(raw, options.date_format, options.timezone)
    missing = ~pc.is_valid(raw.combine_chunks()).to_numpy(zero_copy_only=False)
    rejects.add(
        missing,
        ok,
        "ts",
        lambda row: (
            f"missing timestamp in column '{source}'; fill it in, or map another "
            "column with --map ts=<column>"
        ),
    )
    shown = _values(raw.combine_chunks())
    zone = options.timezone
    rejects.add(
        parsed.unclear,
        ok,
        "ts",
        lambda row: (
            f"local time {shown(row)} does not exist or is ambiguous in {zone} "
            "(daylight saving change); give the time with its UTC offset, e.g. +01:00"
        ),
    )
    hint = f"format {options.date_format!r}" if options.date_format else "ISO 8601"
    rejects.add(
        parsed.failed,
        ok,
        "ts",
        lambda row: (
            f"cannot read {shown(row)} as a timestamp ({hint}, zone "
            f"{zone}); set --date-format (e.g. '%d/%m/%Y %H:%M') or --timezone"
        ),
    )
    return parsed.values


def _common(
    batch: pa.Table, resolved: ResolvedMapping, options: ParseOptions
) -> tuple[dict[str, pa.Array], np.ndarray, Rejects]:
    ok = np.ones(batch.num_rows, dtype=bool)
    rejects = Rejects()
    columns: dict[str, pa.Array] = {"ts": _timestamps(batch, resolved, options, ok, rejects)}
    for name in IDENTIFIER_FIELDS:
        columns[name] = _field(batch, resolved, name)
    return columns, ok, rejects


def _require_identifier(
    columns: dict[str, pa.Array], links: tuple[str, ...], ok: np.ndarray, rejects: Rejects
) -> None:
    present = np.zeros(len(ok), dtype=bool)
    for name in (*IDENTIFIER_FIELDS, *links):
        present |= pc.is_valid(columns[name]).to_numpy(zero_copy_only=False)
    known = ", ".join((*IDENTIFIER_FIELDS, *links))
    rejects.add(
        ~present,
        ok,
        "customer_id",
        lambda row: f"no identifier: give at least one of {known}",
    )


def _attributes(
    batch: pa.Table, resolved: ResolvedMapping, ok: np.ndarray, rejects: Rejects
) -> pa.Array:
    given = _field(batch, resolved, "attributes")
    if resolved.fields.get("attributes"):
        _check_json_objects(given, ok, rejects, "attributes")
    leftover = [c for c in resolved.attributes if c != LINE_COLUMN]
    return _merge_attributes(given, _json_objects(batch, leftover))


def canonical_events(
    batch: pa.Table, resolved: ResolvedMapping, options: ParseOptions
) -> tuple[pa.Table, Rejects]:
    """Canonical event columns of ``batch`` (accepted rows only) and the rejected rows.

    The result has every column of `journeylens.store.schema.EVENTS` but the provenance ones,
    plus ``source_line``; ``event_id`` is null where the source has none.
    """
    columns, ok, rejects = _common(batch, resolved, options)
    fields = resolved.fields
    columns["event_id"] = _field(batch, resolved, "event_id")
    activity = _field(batch, resolved, "activity")
    source = fields.get("activity")
    hint = (
        f" in column '{source}'; fill it in, or give a constant in a mapping file "
        "(activity: {value: <name>})"
        if source or "activity" in resolved.rules
        else "; map a column with --map activity=<column>"
    )
    rejects.add(
        ~pc.is_valid(activity).to_numpy(zero_copy_only=False),
        ok,
        "activity",
        lambda row: f"missing activity{hint}",
    )
    columns["activity"] = activity
    columns["channel"] = normalise_channels(_field(batch, resolved, "channel"))
    initiator = pc.utf8_lower(_field(batch, resolved, "initiator"))
    bad = pc.and_(pc.is_valid(initiator), pc.invert(pc.is_in(initiator, pa.array(INITIATORS))))
    shown = _values(initiator)
    rejects.add(
        pc.fill_null(bad, False).to_numpy(zero_copy_only=False),
        ok,
        "initiator",
        lambda row: (
            f"initiator {shown(row)} is not one of {', '.join(INITIATORS)}; "
            "use one of them, or leave it empty when unknown"
        ),
    )
    columns["initiator"] = initiator
    for name in ("topic", "outcome", "journey_key", "resource", "lifecycle"):
        columns[name] = _field(batch, resolved, name)
    _require_identifier(columns, ("journey_key",), ok, rejects)
    columns["attributes"] = _attributes(batch, resolved, ok, rejects)
    case_columns = list(resolved.journey_attributes)
    columns["journey_attributes"] = _json_objects(batch, case_columns, CASE_PREFIX)
    columns["source_line"] = batch.column(LINE_COLUMN).combine_chunks()
    table = pa.table(columns).filter(pa.array(ok))
    return table, rejects


def canonical_feedback(
    batch: pa.Table, resolved: ResolvedMapping, options: ParseOptions
) -> tuple[pa.Table, Rejects]:
    """Canonical feedback columns of ``batch`` (accepted rows) and the rejected rows."""
    columns, ok, rejects = _common(batch, resolved, options)
    fields = resolved.fields
    columns["feedback_id"] = _field(batch, resolved, "feedback_id")
    kind = pc.utf8_lower(_field(batch, resolved, "kind"))
    text = _field(batch, resolved, "text")
    score_text = _field(batch, resolved, "score")
    # Without a kind, a record with only text is a verbatim; a score needs its kind.
    only_text = pc.and_(pc.is_valid(text), pc.is_null(score_text))
    kind = pc.if_else(pc.and_(pc.is_null(kind), only_text), pa.scalar("text"), kind)
    shown_kind = _values(kind)
    rejects.add(
        ~pc.is_valid(kind).to_numpy(zero_copy_only=False),
        ok,
        "kind",
        lambda row: (
            f"missing kind: give one of {', '.join(FEEDBACK_KINDS)} "
            "(map a column with --map kind=<column>)"
        ),
    )
    rejects.add(
        ~pc.fill_null(pc.is_in(kind, pa.array(FEEDBACK_KINDS)), True).to_numpy(
            zero_copy_only=False
        ),
        ok,
        "kind",
        lambda row: (
            f"kind {shown_kind(row)} is not one of {', '.join(FEEDBACK_KINDS)}; use one of them"
        ),
    )
    columns["kind"] = kind
    if options.decimal != ".":
        score_text = pc.replace_substring(score_text, options.decimal, ".")
    score = pd.to_numeric(score_text.to_pandas(), errors="coerce").to_numpy(dtype=float)
    present = pc.is_valid(score_text).to_numpy(zero_copy_only=False)
    shown_score = _values(score_text)
    rejects.add(
        present & np.isnan(score),
        ok,
        "score",
        lambda row: (
            f"score {shown_score(row)} is not a number (decimal separator "
            f"{options.decimal!r}; set --decimal)"
        ),
    )
    kinds = kind.to_pylist()
    scale_min = _numbers(batch, fields.get("scale_min"), options, ok, rejects, "scale_min")
    scale_max = _numbers(batch, fields.get("scale_max"), options, ok, rejects, "scale_max")
    for row, k in enumerate(kinds):
        default = DEFAULT_SCALES.get(k or "", (np.nan, np.nan))
        if np.isnan(scale_min[row]):
            scale_min[row] = default[0]
        if np.isnan(scale_max[row]):
            scale_max[row] = default[1]
    outside = present & ~np.isnan(score) & ((score < scale_min) | (score > scale_max))
    rejects.add(
        outside,
        ok,
        "score",
        lambda row: (
            f"score {score[row]:g} is outside the scale "
            f"{scale_min[row]:g}..{scale_max[row]:g} of {kinds[row]}; give scale_min and "
            "scale_max columns when the survey used another scale"
        ),
    )
    is_text = np.array([k == "text" for k in kinds], dtype=bool)
    rejects.add(
        is_text & present,
        ok,
        "score",
        lambda row: (
            f"a text record has no score (got {shown_score(row)}); give the kind of the score "
            "(nps, csat, ces or rating)"
        ),
    )
    needs_score = np.array([k not in (None, "text") for k in kinds], dtype=bool) & ~present
    rejects.add(
        needs_score,
        ok,
        "score",
        lambda row: f"a {kinds[row]} answer needs a score; fill it in, or use kind text",
    )
    empty_text = is_text & ~pc.is_valid(text).to_numpy(zero_copy_only=False)
    rejects.add(
        empty_text, ok, "text", lambda row: "a text record needs text; fill it in or drop the row"
    )
    columns["score"] = pa.array(score, pa.float64(), mask=~present)
    columns["scale_min"] = pa.array(scale_min, pa.float64(), mask=np.isnan(scale_min))
    columns["scale_max"] = pa.array(scale_max, pa.float64(), mask=np.isnan(scale_max))
    columns["text"] = text
    columns["question"] = _field(batch, resolved, "question")
    channel = _field(batch, resolved, "channel")  # named as for events; null stays null
    columns["channel"] = pc.if_else(
        pc.is_valid(channel), normalise_channels(channel), pa.scalar(None, pa.string())
    )
    columns["event_id"] = _field(batch, resolved, "event_id")
    columns["journey_key"] = _field(batch, resolved, "journey_key")
    _require_identifier(columns, ("event_id", "journey_key"), ok, rejects)
    columns["attributes"] = _attributes(batch, resolved, ok, rejects)
    columns["source_line"] = batch.column(LINE_COLUMN).combine_chunks()
    table = pa.table(columns).filter(pa.array(ok))
    return table, rejects


def _numbers(
    batch: pa.Table,
    source: str | None,
    options: ParseOptions,
    ok: np.ndarray,
    rejects: Rejects,
    fld: str,
) -> np.ndarray:
    """Numbers of column ``source`` (NaN where empty); rows with text that is no number fail."""
    text = _text(batch, source)
    if options.decimal != ".":
        text = pc.replace_substring(text, options.decimal, ".")
    numbers = np.asarray(pd.to_numeric(text.to_pandas(), errors="coerce"), dtype=float).copy()
    present = pc.is_valid(text).to_numpy(zero_copy_only=False)
    shown = _values(_text(batch, source))
    rejects.add(
        present & np.isnan(numbers),
        ok,
        fld,
        lambda row: (
            f"{fld} {shown(row)} is not a number (decimal separator {options.decimal!r}; "
            "set --decimal, or leave it empty for the default scale)"
        ),
    )
    return numbers
