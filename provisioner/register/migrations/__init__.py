"""Alembic migrations of the register (package data)."""
