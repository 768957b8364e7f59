"""The demo world: a seeded generator of a multichannel telecom / utility company.

``generate(out_dir, events=…, seed=…)`` writes canonical events and feedback as Parquet parts,
the ground truth (identities, journeys, planted flags) and the designed journey maps;
``config()`` is the ``journeys`` section of `journeylens.yaml` that cuts the true journeys. The
planted truths are described in `journeylens.demo.truths` and docs/demo-world.md.

Examples
--------
>>> from journeylens.demo import TRUTHS, config
>>> config()["gap"], TRUTHS.broken_form_rate
('7d', 0.4)
"""

from journeylens.demo.maps import config, journey_maps
from journeylens.demo.truths import TRUTHS, Truths
from journeylens.demo.world import DemoWorld, generate

__all__ = ["TRUTHS", "DemoWorld", "Truths", "config", "generate", "journey_maps"]
