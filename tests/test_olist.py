"""The Olist sample (orders -> delivery -> review): every review linked to its order journey,
and late delivery against the estimate as the top driver of 1-2 star reviews.

Skips when ../shared/data is absent.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import journeylens
from journeylens.datasets.olist import prepare
from journeylens.workspace import Workspace

from .conftest import data_file

#: What the example and docs leave out: on Olist the journey measures only count how far an
#: order got, and the channel flags repeat the activity flags.
EXCLUDE = ["handoffs", "steps", "channels", "duration_hours", "channel_*"]


@pytest.fixture(scope="module")
def olist(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    src = data_file("olist_sample/olist_orders_dataset.csv").parent
    root = tmp_path_factory.mktemp("olist")
    files = prepare(src, root / "data")
    assert (files.orders, files.reviews) == (8135, 8225)
    ws = journeylens.init(root / "ws")
    events = ws.ingest(files.events_path)
    feedback = ws.ingest(files.feedback_path, kind="feedback")
    assert (events.rejected, feedback.rejected) == (0, 0)
    assert feedback.accepted == 8225
    ws.build()
    yield ws
    ws.close()


def test_every_review_is_linked_to_its_order(olist: Workspace) -> None:
    links = olist.feedback_links().to_pandas()
    feedback = olist.feedback().to_pandas()[["feedback_id", "journey_key"]]
    assert len(links) == 8225 and links["feedback_id"].is_unique
    joined = links.merge(feedback, on="feedback_id", suffixes=("", "_order"))
    assert (joined["link_method"] == "journey").all()
    assert (joined["journey_key"] == joined["journey_key_order"]).all()
    assert set(links["scope"]) == {"journey"}
    # a review id covering several orders is one record per order
    assert feedback["feedback_id"].str.split("/").str[0].duplicated().sum() == 34


def test_late_delivery_drives_one_and_two_star_reviews(olist: Workspace) -> None:
    delivered = olist.within(segment="journey_attribute:order_status=delivered")
    result = delivered.drivers("rating", target="low:2", scope=None, exclude=EXCLUDE)
    top = result.top(1)[0]
    assert top["feature"] == "late" and top["direction"] == "worse" and top["significant"]
    assert top["odds_ratio"] > 5 and top["lift"] > 5
    assert top["mean_with"] > 0.6 and top["mean_without"] < 0.12
    assert result.model["journeys"] == 5172 and result.model["linked_answers"] == 5240
    # over every reviewed order, an order never delivered comes first, lateness second
    everything = olist.drivers("rating", target="low:2", scope=None, exclude=EXCLUDE)
    first, second = everything.top(2)
    assert (first["feature"], first["direction"]) == ("activity_delivered", "better")
    assert (second["feature"], second["direction"]) == ("late", "worse")
    assert everything.model["answers"] == 8225
