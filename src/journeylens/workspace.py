"""The workspace: a directory with the store, its configuration, and the Python API.

Examples
--------
>>> import tempfile, pathlib
>>> root = pathlib.Path(tempfile.mkdtemp()) / "ws"
>>> ws = init(root)
>>> csv = root / "calls.csv"
>>> _ = csv.write_text("customer_id,ts,channel,activity\\nC1,2025-01-02T10:00:00Z,phone,call\\n"
...                    "C1,2025-01-02T11:00:00Z,web,login\\n")
>>> ws.ingest(csv).accepted
2
>>> ws.build().journeys
1
>>> ws.journeys().to_pandas()[["customer_key", "steps", "handoffs"]].to_dict("records")
[{'customer_key': 'customer_id:C1', 'steps': 2, 'handoffs': 1}]
>>> ws.close()
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import ibis

from journeylens.analyses import Analyses
from journeylens.config import (
    CONFIG_FILE,
    WorkspaceConfig,
    dump_config,
    load_config,
    parse_config,
)
from journeylens.errors import WorkspaceError
from journeylens.frame import Frame
from journeylens.identity import resolve
from journeylens.ingest import (
    ColumnMapping,
    IngestOptions,
    IngestReport,
    ParseOptions,
    ingest_files,
)
from journeylens.ingest.hashing import IdentifierHasher
from journeylens.ingest.pipeline import Kind
from journeylens.journeys import JOURNEYS_TABLE, STEPS_TABLE, BuildResult
from journeylens.journeys import build as build_journeys
from journeylens.store.backends import Backend, connect
from journeylens.voice import VoiceMethods

STATE_DIR = ".journeylens"
STATE_FILE = "state.json"


@dataclass
class CustomerView:
    """One customer across channels: identifiers, timeline and journeys."""

    customer_key: str
    identifiers: Frame
    timeline: Frame
    journeys: Frame


@dataclass
class JourneyView:
    """One journey: its row and its steps."""

    journey: dict[str, Any]
    steps: Frame


class Workspace(Analyses, VoiceMethods):
    """A journeylens workspace opened with one engine.

    Use `open` or `init` rather than this constructor.
    """

    def __init__(self, root: Path, config: WorkspaceConfig, backend: Backend) -> None:
        self.root = root
        self.config = config
        self.backend = backend

    # -- state ----------------------------------------------------------------------------

    @property
    def _state_path(self) -> Path:
        return self.root / STATE_DIR / f"{self.backend.name}-{STATE_FILE}"

    def _state(self) -> dict[str, Any]:
        if not self._state_path.exists():
            return {}
        state: dict[str, Any] = json.loads(self._state_path.read_text())
        return state

    def _save_state(self, **values: Any) -> None:
        state = {**self._state(), **values}
        self._state_path.parent.mkdir(exist_ok=True)
        self._state_path.write_text(json.dumps(state, indent=2, default=str))

    # -- ingest and build -----------------------------------------------------------------

    def ingest(
        self,
        paths: Path | str | Iterable[Path | str],
        *,
        kind: Kind = "events",
        mapping: dict[str, str] | Sequence[str] | None = None,
        mapping_file: Path | str | None = None,
        date_format: str | None = None,
        timezone: str = "UTC",
        decimal: str = ".",
        delimiter: str | None = None,
        encoding: str = "utf-8",
        source: str | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> IngestReport:
        """Read files into the ``events`` (or ``feedback``) table.

        Parameters
        ----------
        paths : path or paths
            CSV/TSV, JSON Lines, Parquet (file or directory), XES or ``.xes.gz`` files.
        kind : {"events", "feedback"}
            The table to fill.
        mapping : dict or list of "canonical=source"
            Source column for canonical fields, e.g. ``{"customer_id": "CustomerID"}``.
        mapping_file : path, optional
            A YAML file of ``canonical: source`` pairs (``mapping`` wins on conflicts).
        date_format, timezone, decimal, delimiter, encoding : str
            How to read the values (see `journeylens.ingest.validate.ParseOptions`).
        source : str, optional
            A name for the data set (default: the file name's stem).
        progress : callable, optional
            Called with the number of records read after each batch.
        """
        if isinstance(paths, str | Path):
            paths = [paths]
        column_mapping = ColumnMapping()
        if mapping_file is not None:
            column_mapping = ColumnMapping.from_file(Path(mapping_file))
        if mapping:
            pairs = mapping if isinstance(mapping, dict) else ColumnMapping.parse(mapping).explicit
            column_mapping = column_mapping.merged(ColumnMapping(dict(pairs)))
        options = IngestOptions(
            kind=kind,
            mapping=column_mapping,
            parse=ParseOptions(date_format=date_format, timezone=timezone, decimal=decimal),
            delimiter=delimiter,
            encoding=encoding,
            source=source,
        )
        hasher = IdentifierHasher(self.config.hashing)
        return ingest_files(self.backend, [Path(p) for p in paths], options, hasher, progress)

    def build(
        self, *, full: bool = False, progress: Callable[[str], None] | None = None
    ) -> BuildResult:
        """Stitch identities (incrementally unless ``full``), rebuild every journey and link
        the feedback to them (see `journeylens.voc.linkage`). Records accepted by the live
        API (`journeylens serve`) are folded into the tables first (`journeylens.realtime.fold`)."""
        from journeylens.realtime.fold import commit_fold, fold_live_log

        folded = fold_live_log(self)
        if not self.backend.has_table("events"):
            raise WorkspaceError("there are no events yet: ingest some first (journeylens ingest)")
        since = 0 if full else int(self._state().get("identity_seq", 0))
        result = build_journeys(self.backend, self.config.journeys, since, progress)
        self._save_state(identity_seq=result.identity.last_seq, built_as_of=result.as_of)
        if self.backend.has_table("feedback"):
            from journeylens.voc.linkage import link_feedback

            if progress is not None:
                progress("linking feedback")
            linked = link_feedback(self.backend, self.config.voc)
            result = replace(
                result, feedback_linked=linked.linked, feedback_unlinked=linked.unlinked
            )
        commit_fold(self, folded)
        return result

    # -- reading --------------------------------------------------------------------------

    def _table(self, name: str, hint: str) -> Frame:
        self._require(name, hint)
        return Frame(self.backend, self.backend.table(name))

    def events(self) -> Frame:
        """Every accepted event."""
        return self._table("events", "run journeylens ingest")

    def feedback(self) -> Frame:
        """Every accepted feedback record."""
        return self._table("feedback", "ingest feedback with kind='feedback'")

    def quarantine(self) -> Frame:
        """Every rejected record with its file, line, field and reason."""
        if not self.backend.has_table("quarantine"):
            from journeylens.store.schema import QUARANTINE

            return Frame(self.backend, ibis.memtable(QUARANTINE.empty_table()))
        return Frame(self.backend, self.backend.table("quarantine"))

    def journeys(
        self,
        *,
        journey_type: str | None = None,
        status: str | None = None,
        customer: str | None = None,
    ) -> Frame:
        """Journeys, optionally of one type, status or customer (any identifier)."""
        table = self._table(JOURNEYS_TABLE, "run journeylens build").expr
        if journey_type:
            table = table.filter(table.journey_type == journey_type)
        if status:
            table = table.filter(table.status == status)
        if customer:
            table = table.filter(table.customer_key == self.customer_key(customer))
        return Frame(self.backend, table.order_by(["start_ts", "journey_key"]))

    def journey(self, journey_key: str) -> JourneyView:
        """One journey and its steps."""
        table = self._table(JOURNEYS_TABLE, "run journeylens build").expr
        rows = self.backend.to_arrow(table.filter(table.journey_key == journey_key)).to_pylist()
        if not rows:
            raise WorkspaceError(f"no journey '{journey_key}'; list them with journeylens journeys")
        steps = self.backend.table(STEPS_TABLE)
        return JourneyView(
            rows[0],
            Frame(self.backend, steps.filter(steps.journey_key == journey_key).order_by("step")),
        )

    def customer_key(self, identifier: str) -> str:
        """The customer key of any known identifier (customer id, e-mail, cookie …)."""
        matches = resolve(self.backend, identifier)
        if not matches:
            raise WorkspaceError(
                f"no customer with identifier '{identifier}'; identifiers are matched exactly "
                "(after hashing, when hashing is on)"
            )
        if len(matches) > 1:
            raise WorkspaceError(
                f"'{identifier}' names {len(matches)} customers ({', '.join(matches[:5])}); "
                "qualify it with its type, e.g. email:ann@example.com"
            )
        return matches[0]

    def customer(self, identifier: str) -> CustomerView:
        """One customer's identifiers, cross-channel timeline and journeys."""
        key = self.customer_key(identifier)
        identity = self.backend.table("identity")
        steps = self._table(STEPS_TABLE, "run journeylens build").expr
        return CustomerView(
            customer_key=key,
            identifiers=Frame(
                self.backend,
                identity.filter(identity.customer_key == key)
                .select("id_type", "id_value")
                .order_by(["id_type", "id_value"]),
            ),
            timeline=Frame(
                self.backend,
                steps.filter(steps.customer_key == key).order_by(["ts", "seq"]),
            ),
            journeys=self.journeys(customer=key),
        )

    def within(self, **filters: Any) -> Workspace:
        """A read-only view of the workspace holding only some journeys, on which every
        analysis runs unchanged: ``ws.within(start=date(2025, 3, 1), channel="web",
        segment="attribute:segment=business").metrics()`` (the filters of
        `journeylens.analytics.scope.Scope`). Close the workspace, not the view."""
        from journeylens.analytics.scope import Scope

        return Workspace(self.root, self.config, Scope(**filters).backend(self.backend))

    def summary(self) -> dict[str, Any]:
        """Counts that describe the workspace, ready for JSON."""
        from journeylens.report.summary import workspace_summary

        return workspace_summary(self.backend)

    def close(self) -> None:
        """Release the engine."""
        self.backend.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Workspace({str(self.root)!r}, engine={self.backend.name!r})"


def init(
    path: Path | str,
    *,
    engine: str = "duckdb",
    config: WorkspaceConfig | dict[str, Any] | None = None,
    **engine_options: Any,
) -> Workspace:
    """Create a workspace directory (store + `journeylens.yaml`) and open it.

    An existing `journeylens.yaml` is kept unless ``config`` is given.
    """
    root = Path(path)
    root.mkdir(parents=True, exist_ok=True)
    config_path = root / CONFIG_FILE
    if config is not None:
        parsed = config if isinstance(config, WorkspaceConfig) else parse_config(config)
        config_path.write_text(dump_config(parsed), encoding="utf-8")
    elif not config_path.exists():
        config_path.write_text(dump_config(WorkspaceConfig(engine=engine)), encoding="utf-8")  # type: ignore[arg-type]
    (root / STATE_DIR).mkdir(exist_ok=True)
    return open_workspace(root, engine=engine, **engine_options)


def open_workspace(
    path: Path | str = ".",
    *,
    engine: str | None = None,
    session: Any | None = None,
    **engine_options: Any,
) -> Workspace:
    """Open an existing workspace.

    Parameters
    ----------
    path : path
        The workspace directory (holding `journeylens.yaml`).
    engine : {"duckdb", "spark"}, optional
        Overrides the configured engine.
    session : pyspark.sql.SparkSession, optional
        An existing Spark session (implies ``engine="spark"``).
    """
    root = Path(path)
    config_path = root / CONFIG_FILE
    if not config_path.exists():
        raise WorkspaceError(
            f"{root} is not a journeylens workspace (no {CONFIG_FILE}); "
            f"create one with: journeylens init {root}"
        )
    config = load_config(config_path)
    chosen = "spark" if session is not None else (engine or config.engine)
    if session is not None:
        engine_options["session"] = session
    backend = connect(chosen, root, **engine_options)
    return Workspace(root, config, backend)
