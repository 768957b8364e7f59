"""Actions on moments: a transactional outbox, signed webhooks, alerts, hold-outs and uplift."""
