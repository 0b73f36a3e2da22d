"""Programs copied into each lab server's root filesystem (run there by the image's python3)."""
