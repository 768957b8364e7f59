"""Prediction: next step, journey outcome, best channel and next best action."""
