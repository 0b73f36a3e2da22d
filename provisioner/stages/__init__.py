"""The stages of step 6, one module each, and what they share (base, servers, switch)."""
