"""Critical-moment rules: YAML rules, their checks, and one engine for live and replay."""
