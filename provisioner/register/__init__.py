"""The register: every request, step, document, allocation and asset, in SQLite or PostgreSQL."""
