"""Alembic revisions: each file is named after its revision id."""
