"""The stages of step 6, one module each, what they share (base), their loop (engine) and journal."""
