"""Actions on moments: a transactional outbox, signed webhooks, alerts, hold-outs and uplift.

- `journeylens.realtime.actions.settings`: the ``actions:`` section of ``rules.yaml``;
- `journeylens.realtime.actions.center`: `ActionCenter` (record moments and their actions in
  the outbox, deliver them in the background, list them, follow them);
- `journeylens.realtime.actions.webhook`: the signed request, `verify` for receivers, retries;
- `journeylens.realtime.actions.holdout`: which moments get no action;
- `journeylens.realtime.actions.uplift`: actioned vs hold-out outcomes per rule, with intervals.

See docs/realtime/actions.md.
"""

from journeylens.realtime.actions.center import ActionCenter
from journeylens.realtime.actions.settings import ActionSettings, load_actions, parse_actions
from journeylens.realtime.actions.webhook import verify

__all__ = ["ActionCenter", "ActionSettings", "load_actions", "parse_actions", "verify"]
