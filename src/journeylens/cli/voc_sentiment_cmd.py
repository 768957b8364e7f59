"""`journeylens voc sentiment`: the sentiment of every verbatim, and how well the model does."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from journeylens.cli.common import (
    EngineOption,
    JsonOption,
    WorkspaceOption,
    console,
    print_json,
    rows_table,
    step_progress,
    user_errors,
    workspace,
)


def sentiment(
    method: Annotated[
        str,
        typer.Option(
            help="auto: VADER for English, the model learnt from scores for other languages; "
            "vader or model: that method for every verbatim."
        ),
    ] = "auto",
    train: Annotated[
        bool,
        typer.Option(
            "--train/--no-train", help="Learn a text model from the verbatims that have a score."
        ),
    ] = True,
    test_size: Annotated[
        float, typer.Option(help="Held-out share for the model's accuracy (stratified).")
    ] = 0.2,
    seed: Annotated[int, typer.Option(help="Seed of the held-out split and the model.")] = 0,
    workspace_path: WorkspaceOption = Path("."),
    engine: EngineOption = None,
    json_output: JsonOption = False,
) -> None:
    """Score the sentiment of every verbatim and store the feedback_sentiment table.

    English verbatims are scored by VADER; where verbatims come with a score (NPS, CSAT, CES,
    rating), a text model (TF-IDF + logistic regression) learns the score's label
    (negative, neutral, positive) and scores the other languages, e.g. Portuguese reviews.
    Prints the counts per label, language and method, and the model's held-out accuracy
    beside the majority-class baseline.

    Example:

        journeylens voc sentiment -w ws
        journeylens voc sentiment --json -w ws
    """
    with (
        workspace(workspace_path, engine) as ws,
        user_errors(),
        step_progress(not json_output) as say,
    ):
        result = ws.sentiment(method=method, train=train, test_size=test_size, seed=seed, step=say)
    summary = result.summary()
    if json_output:
        print_json(summary)
        return
    console.print(
        rows_table(
            result.counts().to_pylist(),
            title=f"sentiment of {result.table.num_rows:,} verbatims (table feedback_sentiment)",
        )
    )
    check = result.evaluation
    if check is None:
        console.print("no text model: fewer than 100 verbatims have a score (or --no-train)")
    else:
        console.print(
            f"text model: held-out accuracy {check.accuracy:.1%} (macro F1 {check.macro_f1:.2f}) "
            f"on {check.test:,} verbatims; majority baseline ({check.majority}) "
            f"{check.baseline:.1%}"
        )
    if result.vader_agreement is not None:
        console.print(
            f"VADER agrees with the score's label on {result.vader_agreement:.1%} of "
            f"{result.vader_checked:,} scored English verbatims"
        )
