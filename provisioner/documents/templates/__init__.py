"""Templates of the SOP documents (package data)."""
