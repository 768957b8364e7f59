"""`journeylens voc ...`: the voice of the customer beside what customers did.

Each subcommand lives in its own module (``voc_*_cmd.py``) and is registered here with one line.
"""

from __future__ import annotations

import typer

from journeylens.cli.voc_drivers_cmd import drivers
from journeylens.cli.voc_gap_cmd import gap
from journeylens.cli.voc_link_cmd import link
from journeylens.cli.voc_say_do_cmd import say_do
from journeylens.cli.voc_scores_cmd import scores
from journeylens.cli.voc_sentiment_cmd import sentiment
from journeylens.cli.voc_themes_cmd import themes

voc_app = typer.Typer(
    help=(
        "Voice of the customer: link feedback to journeys, scores (NPS, CSAT, CES) with "
        "confidence intervals, sentiment and themes of verbatims, touchpoint vs journey, "
        "say vs do, and the key drivers of low scores.\n\n"
        "Example:  journeylens voc scores --by journey_type"
    ),
    no_args_is_help=True,
)

voc_app.command("link")(link)
voc_app.command("scores")(scores)
voc_app.command("drivers")(drivers)
voc_app.command("gap")(gap)
voc_app.command("say-do")(say_do)
voc_app.command("sentiment")(sentiment)
voc_app.command("themes")(themes)
