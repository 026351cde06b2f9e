"""Signing in to the staff UI: throttled password checks (throttle.py) and the sessions kept
on the server that a sign-out, a password reset or a deactivation ends (sessions.py)."""
