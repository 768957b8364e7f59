"""Journey analytics: one analysis per module, a typed query in, a typed result out.

Each analysis builds Ibis expressions over the workspace tables (``journey_steps``,
``journeys``), so it runs on every engine; results offer ``to_frame()`` (pandas).
"""

from journeylens.analytics.breakdown import BreakdownQuery, Breakdowns, breakdowns
from journeylens.analytics.cleaning import RenameRule
from journeylens.analytics.conformance import Conformance, ConformanceQuery, conformance
from journeylens.analytics.consistency import Consistency, ConsistencyQuery, consistency
from journeylens.analytics.flows import Flows, FlowsQuery, flows
from journeylens.analytics.funnels import Exclusion, Funnel, FunnelQuery, funnel
from journeylens.analytics.journey_maps import JourneyMaps, load_journey_maps
from journeylens.analytics.labels import LABELS, Label
from journeylens.analytics.metrics import JourneyMetrics, MetricsQuery, metrics
from journeylens.analytics.patterns import PathMatches, PatternQuery, match_paths
from journeylens.analytics.process_map import ProcessMap, ProcessMapQuery, process_map
from journeylens.analytics.segments import Segment, parse_segment, segment_table
from journeylens.analytics.variants import Variants, VariantsQuery, variants

__all__ = [
    "LABELS",
    "BreakdownQuery",
    "Breakdowns",
    "Conformance",
    "ConformanceQuery",
    "Consistency",
    "ConsistencyQuery",
    "Exclusion",
    "Flows",
    "FlowsQuery",
    "Funnel",
    "FunnelQuery",
    "JourneyMaps",
    "JourneyMetrics",
    "Label",
    "MetricsQuery",
    "PathMatches",
    "PatternQuery",
    "ProcessMap",
    "ProcessMapQuery",
    "RenameRule",
    "Segment",
    "Variants",
    "VariantsQuery",
    "breakdowns",
    "conformance",
    "consistency",
    "flows",
    "funnel",
    "load_journey_maps",
    "match_paths",
    "metrics",
    "parse_segment",
    "process_map",
    "segment_table",
    "variants",
]
