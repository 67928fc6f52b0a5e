"""Shipped defaults; installed as the package patchpilot._config (see pyproject.toml)."""
