"""The colours of every figure and page: the Okabe-Ito palette, safe for colour-blind readers.

Examples
--------
>>> PALETTE[0], len(PALETTE)
('#0072B2', 8)
"""

from __future__ import annotations

#: Okabe & Ito (2008), in the order categories take them (black last).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")

#: Neutral colours for markers and "other" buckets.
GREY, LIGHT_GREY = "#999999", "#C8C8C8"
