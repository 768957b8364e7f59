"""Real time: the live event path, critical-moment rules, actions and the closed loop.

- `journeylens.realtime` (this package): the durable append log, live validation, incremental
  identity and per-customer state, the customer context, API keys, the live service;
- `journeylens.realtime.rules`: declarative moment rules and the one engine that runs them live
  and over history (replay);
- `journeylens.realtime.actions`: webhooks from a transactional outbox, alerts, next best
  action, hold-outs and the uplift of each rule's action.
"""
