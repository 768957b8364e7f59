"""Journey analytics: one analysis per module, a typed query in, a typed result out.

Each analysis builds Ibis expressions over the workspace tables (``journey_steps``,
``journeys``), so it runs on every engine; results offer ``to_frame()`` (pandas).
"""

from journeylens.analytics.labels import LABELS, Label
from journeylens.analytics.process_map import ProcessMap, ProcessMapQuery, process_map
from journeylens.analytics.variants import Variants, VariantsQuery, variants

__all__ = [
    "LABELS",
    "Label",
    "ProcessMap",
    "ProcessMapQuery",
    "Variants",
    "VariantsQuery",
    "process_map",
    "variants",
]
