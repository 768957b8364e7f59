"""The HTTP face of journeylens (FastAPI): the live API under /v1, later the dashboard."""
