"""Background work: the in-process dispatcher (embedded default) and Celery (production)."""
