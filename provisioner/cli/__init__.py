"""The `colo` command line: one module per area, each exposing ``register(app)``."""
