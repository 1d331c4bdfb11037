"""Border control posts and the lead-time rules that depend on them, shared by every service."""
