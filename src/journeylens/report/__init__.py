"""Summaries of a workspace: numbers for the terminal and a self-contained HTML page."""
