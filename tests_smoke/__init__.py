"""Smoke run of the integration on the newest Home Assistant release (scripts/smoke)."""
