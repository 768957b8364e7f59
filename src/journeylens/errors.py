"""Errors that tell the user what went wrong, where, and how to fix it."""

from __future__ import annotations

from dataclasses import dataclass


class JourneyLensError(Exception):
    """Base class of every error journeylens raises on purpose."""


@dataclass
class InputError(JourneyLensError):
    """Bad input that could not be read at all (not a single bad row: those go to quarantine).

    Parameters
    ----------
    what : str
        What is wrong.
    where : str
        File, and line or field where known.
    fix : str
        How to fix it.

    Examples
    --------
    >>> str(InputError("unknown format '.xls'", "data/calls.xls", "export as CSV"))
    "data/calls.xls: unknown format '.xls' (fix: export as CSV)"
    """

    what: str
    where: str = ""
    fix: str = ""

    def __str__(self) -> str:
        text = f"{self.where}: {self.what}" if self.where else self.what
        return f"{text} (fix: {self.fix})" if self.fix else text


class ConfigError(InputError):
    """A bad `journeylens.yaml` or mapping file."""


class WorkspaceError(JourneyLensError):
    """The workspace is missing, not initialised, or in a state that forbids the operation."""
