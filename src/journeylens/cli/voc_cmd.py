"""`journeylens voc ...`: the voice of the customer beside what customers did.

Each subcommand lives in its own module (``voc_*_cmd.py``) and is registered here with one line.
"""

from __future__ import annotations

import typer

voc_app = typer.Typer(
    help=(
        "Voice of the customer: link feedback to journeys, scores (NPS, CSAT, CES) with "
        "confidence intervals, sentiment and themes of verbatims, touchpoint vs journey, "
        "say vs do, and the key drivers of low scores.\n\n"
        "Example:  journeylens voc scores --by journey_type"
    ),
    no_args_is_help=True,
)
