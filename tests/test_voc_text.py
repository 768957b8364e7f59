"""Text of the voice of the customer: language, sentiment (VADER and a model learnt from
scores), themes (TF-IDF + NMF), on hand-made verbatims, the demo world and real Olist reviews."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import journeylens
from journeylens.voc.language import detect_language
from journeylens.voc.sentiment import SENTIMENT_TABLE, score_texts
from journeylens.voc.text_model import score_label, train_text_model
from journeylens.voc.theme_model import label_terms
from journeylens.voc.themes import THEMES_TABLE
from journeylens.workspace import Workspace

from .conftest import data_file, write_text

# -- language, labels, VADER ------------------------------------------------------------


def test_vader_labels_clear_english_sentences() -> None:
    texts = [
        "The agent was wonderful, friendly and really helpful. Thank you!",
        "Great service, I love the new app.",
        "Terrible experience, nobody helps and I was charged twice.",
        "Awful. The form is broken and I am angry.",
        "I called on Tuesday.",
    ]
    results = score_texts(texts)
    assert [r.label for r in results] == [
        "positive",
        "positive",
        "negative",
        "negative",
        "neutral",
    ]
    assert {r.method for r in results} == {"vader"} and {r.language for r in results} == {"en"}
    assert results[0].sentiment > 0.5 and results[3].sentiment < -0.5
    assert results[4].sentiment == 0.0


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("I had to call them three times.", "en"),
        ("It was not what I wanted.", "en"),
        ("Nobody called me back", "en"),
        ("Ainda não recebi o produto.", "pt"),
        ("O produto chegou antes do prazo", "pt"),
        ("Muito bom, recomendo a todos", "pt"),
        ("Entrega no prazo, tudo certo", "pt"),
        ("El pedido no llegó", "es"),
        ("Der Techniker war sehr freundlich", "de"),
    ],
)
def test_language_of_short_sentences(text: str, language: str) -> None:
    assert detect_language(text) == language


def test_undecided_text_takes_the_default_language() -> None:
    assert detect_language("Excelente!") is None  # Portuguese or Spanish: no way to tell
    assert detect_language("Excelente!", default="pt") == "pt"
    assert detect_language("Péssimo") == "pt"  # a telling word
    assert detect_language("") is None


@pytest.mark.parametrize(
    ("kind", "score", "low", "high", "label"),
    [
        ("nps", 0, 0, 10, "negative"),
        ("nps", 6, 0, 10, "negative"),
        ("nps", 7, 0, 10, "neutral"),
        ("nps", 8, 0, 10, "neutral"),
        ("nps", 9, 0, 10, "positive"),
        ("csat", 2, 1, 5, "negative"),
        ("csat", 3, 1, 5, "neutral"),
        ("csat", 4, 1, 5, "positive"),
        ("ces", 3, 1, 7, "negative"),
        ("ces", 4, 1, 7, "neutral"),
        ("ces", 5, 1, 7, "positive"),
        ("rating", 3, 0, 10, "negative"),  # 0.3 of the scale
        ("rating", 6, 0, 10, "neutral"),  # 0.6: the limit is neutral
        ("rating", 7, 0, 10, "positive"),
        ("text", None, None, None, None),
        ("rating", 3, 5, 5, None),  # no scale to place it on
    ],
)
def test_score_labels_use_the_scale(
    kind: str, score: float | None, low: float | None, high: float | None, label: str | None
) -> None:
    assert score_label(kind, score, low, high) == label


def test_labels_prefer_bigrams_and_skip_lone_negations() -> None:
    ranked = [("form", 1.0), ("error", 0.9), ("moving form", 0.7), ("not", 0.5), ("page", 0.4)]
    assert label_terms(ranked) == "moving form / error / page"
    # weak terms (under 0.3 of the top one) stay out
    assert label_terms([("app", 1.0), ("easy", 0.5), ("router", 0.2)]) == "app / easy"


# -- a small workspace: exact rows -------------------------------------------------------

FEEDBACK = """\
feedback_id,customer_id,ts,kind,score,comment
F1,C1,2025-03-01T10:00:00Z,nps,10,Brilliant service and a friendly agent.
F2,C2,2025-03-02T10:00:00Z,nps,2,Terrible. I was charged twice and nobody helped.
F3,C3,2025-03-03T10:00:00Z,rating,1,"Não recebi o produto, péssimo."
F4,C4,2025-03-04T10:00:00Z,rating,5,
F5,C5,2025-03-05T10:00:00Z,text,,The form gives an error when I press submit.
F6,C6,2025-03-06T10:00:00Z,csat,3,"   "
"""


def test_sentiment_stores_one_row_per_verbatim(ws: Workspace, tmp_path: Path) -> None:
    ws.ingest(write_text(tmp_path / "fb.csv", FEEDBACK), kind="feedback")
    result = ws.sentiment()

    rows = {r["feedback_id"]: r for r in result.table.to_pylist()}
    assert set(rows) == {"F1", "F2", "F3", "F5"}  # F4 has no text, F6 only blanks
    assert {k: r["language"] for k, r in rows.items()} == {
        "F1": "en",
        "F2": "en",
        "F3": "pt",
        "F5": "en",
    }
    assert rows["F1"]["label"] == "positive" and rows["F2"]["label"] == "negative"
    # three scored verbatims are too few for a model: every text falls back to VADER
    assert result.evaluation is None and {r["method"] for r in rows.values()} == {"vader"}
    assert ws.sentiment_model() is None
    stored = ws.backend.to_arrow(ws.backend.table(SENTIMENT_TABLE).order_by("feedback_id"))
    assert stored.to_pylist() == result.table.sort_by("feedback_id").to_pylist()
    # VADER against the score's label, on the scored English verbatims (F1, F2)
    assert (result.vader_checked, result.vader_agreement) == (2, 1.0)
    assert result.summary()["labels"]["positive"] == 1


def test_the_model_scores_other_languages() -> None:
    good = ["Produto ótimo, chegou rápido", "Adorei, entrega antes do prazo", "Muito bom"]
    bad = ["Não recebi nada, péssimo", "Produto quebrado, quero meu dinheiro", "Nunca chegou"]
    texts = (good + bad) * 10
    labels = (["positive"] * 3 + ["negative"] * 3) * 10
    model, check = train_text_model(texts, labels, min_texts=20)
    assert (check.train, check.test, check.labels) == (48, 12, {"negative": 30, "positive": 30})
    results = score_texts(
        ["Produto ótimo, recomendo", "Não recebi o produto", "Great, thanks"], model=model
    )
    assert [(r.language, r.method, r.label) for r in results] == [
        ("pt", "model", "positive"),
        ("pt", "model", "negative"),
        ("en", "vader", "positive"),
    ]
    assert results[0].sentiment > 0 > results[1].sentiment
    with pytest.raises(ValueError, match="at least 100"):
        train_text_model(texts[:30], labels[:30])


# -- the demo world ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_copy(demo_ws: Workspace, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """A writable copy of the demo workspace (the shared one is read-only)."""
    root = tmp_path_factory.mktemp("voc-text") / "ws"
    shutil.copytree(demo_ws.root, root, ignore=shutil.ignore_patterns("demo-data"))
    workspace = journeylens.open(root)
    yield workspace
    workspace.close()


def _feedback(ws: Workspace) -> pd.DataFrame:
    frame = ws.feedback().to_pandas()[["feedback_id", "kind", "score", "attributes"]]
    frame["survey"] = frame["attributes"].map(lambda a: json.loads(a)["survey"])
    return frame


def test_demo_sentiment_follows_the_score(demo_copy: Workspace) -> None:
    result = demo_copy.sentiment()
    frame = result.to_frame().merge(_feedback(demo_copy), on="feedback_id")
    assert set(frame["language"]) == {"en"} and set(frame["method"]) == {"vader"}
    nps = frame[frame["kind"] == "nps"]
    detractors = float((nps[nps["score"] <= 6]["label"] == "negative").mean())
    promoters = float((nps[nps["score"] >= 9]["label"] == "negative").mean())
    print(f"\nnegative share: detractors {detractors:.2f}, promoters {promoters:.2f}")
    assert detractors > 0.45 and promoters < 0.1 and detractors > 5 * promoters
    assert frame["sentiment"].corr(frame["score"]) > 0.4
    # the model learnt from the demo's scores beats the majority baseline by far
    check = result.evaluation
    assert check is not None and check.accuracy > check.baseline + 0.3


def test_demo_themes_find_the_broken_form_and_repeat_contacts(demo_copy: Workspace) -> None:
    result = demo_copy.themes()
    table = result.to_frame()
    print(f"\ndemo world: {result.k} themes of {result.verbatims} verbatims")
    assert 8 <= result.k <= 24 and list(table["theme"]) == list(range(1, result.k + 1))
    assert list(table["volume"]) == sorted(table["volume"], reverse=True)

    stored = demo_copy.backend.to_pandas(demo_copy.backend.table(THEMES_TABLE))
    assert len(stored) == table["volume"].sum() == result.verbatims - result.unthemed
    assert stored["weight"].between(0, 1).all()
    pages = stored.merge(_feedback(demo_copy), on="feedback_id")
    pages = pages[pages["survey"] == "page"]
    total_pages = int((_feedback(demo_copy)["survey"] == "page").sum())
    top = pages["theme"].value_counts()
    form = table.set_index("theme").loc[int(top.index[0])]
    # the theme holding most page comments is about the form, and holds most of them
    assert any(word in form["label"] for word in ("form", "error", "submit", "page"))
    assert top.iloc[0] / total_pages > 0.5

    def about(words: tuple[str, ...]) -> pd.DataFrame:
        hit = table["top_terms"].map(lambda terms: any(w in t for t in terms[:5] for w in words))
        return table[hit]

    repeat = about(("chase", "contacts", "actually fixed", "times before"))
    assert len(repeat) >= 1
    # repeat contacts come with low scores: below the average of every themed verbatim
    overall = (table["avg_score"] * table["scored"]).sum() / table["scored"].sum()
    assert (repeat["avg_score"] < overall - 0.1).all()
    assert all(len(q) >= 1 for q in table["quotes"])
    trend = result.trend.to_pandas()
    assert trend.groupby("theme")["volume"].sum().to_dict() == dict(
        zip(table["theme"], table["volume"], strict=True)
    )
    assert result.figure().data and result.trend_figure().data


def test_demo_themes_with_a_fixed_number_and_kind(demo_copy: Workspace) -> None:
    result = demo_copy.themes(6, kind="csat", period="week")
    feedback = demo_copy.feedback().to_pandas()
    csat = feedback[(feedback["kind"] == "csat") & feedback["text"].notna()]
    assert result.k == 6 and result.verbatims == len(csat)
    assert set(result.scores.column("kind").to_pylist()) == {"csat"}
    weeks = {pd.Timestamp(p) for p in result.trend.column("period").to_pylist()}
    assert weeks and all(w.weekday() == 0 for w in weeks)  # Mondays
    with pytest.raises(ValueError, match="2 to 50 themes"):
        demo_copy.themes(1)


# -- real data: Olist reviews in Portuguese ----------------------------------------------


def test_olist_model_beats_the_majority_baseline() -> None:
    path = data_file("olist_sample/olist_order_reviews_dataset.csv")
    reviews = pd.read_csv(path)
    reviews = reviews[reviews["review_comment_message"].notna()]
    labels = [score_label("rating", float(s), 1.0, 5.0) for s in reviews["review_score"]]
    _, check = train_text_model(
        reviews["review_comment_message"].tolist(), [str(x) for x in labels], refit=False
    )
    print(
        f"\nOlist: held-out accuracy {check.accuracy:.3f} (macro F1 {check.macro_f1:.3f}) on "
        f"{check.test} reviews; majority baseline ({check.majority}) {check.baseline:.3f}"
    )
    assert check.test == round(0.2 * len(reviews))
    assert check.accuracy > check.baseline + 0.2 and check.macro_f1 > 0.5


# -- the command line --------------------------------------------------------------------


def run_json(*args: str) -> Any:
    result = subprocess.run(
        [sys.executable, "-m", "journeylens", *args, "--json"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_cli_sentiment_and_themes(tmp_path: Path) -> None:
    lines = ["feedback_id,customer_id,ts,kind,score,comment"]
    said = [
        (2, "The online form kept giving me an error."),
        (3, "The website form crashed with an error on submit."),
        (9, "Friendly agent, very helpful and quick."),
        (10, "The agent was friendly and helpful."),
        (1, "I had to call three times before anyone fixed it."),
        (2, "Called again and again, still not fixed."),
    ]
    for i in range(30):
        score, text = said[i % len(said)]
        lines.append(f'R{i},C{i},2025-0{1 + i % 3}-1{i % 10}T10:00:00Z,nps,{score},"{text}"')
    ws = tmp_path / "ws"
    journeylens.init(ws).close()
    with journeylens.open(ws) as workspace:
        workspace.ingest(write_text(tmp_path / "fb.csv", "\n".join(lines) + "\n"), kind="feedback")

    summary = run_json("voc", "sentiment", "-w", str(ws))
    assert summary["verbatims"] == 30 and summary["languages"] == {"en": 30}
    assert summary["model"] is None  # 30 scored verbatims: too few to learn from
    assert summary["labels"]["positive"] >= 10

    themes = run_json("voc", "themes", "--n", "3", "-w", str(ws))
    assert len(themes["themes"]) == 3 and themes["verbatims"] == 30
    labels = " ".join(t["label"] for t in themes["themes"])
    assert "form" in labels or "error" in labels
    assert {t["theme"] for t in themes["trend"]} <= {1, 2, 3}
    assert all(t["quotes"] for t in themes["themes"])
