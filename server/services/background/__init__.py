"""Background work: outbox jobs, timers, incidents and their retry, worker heartbeats,
e-mail notifications."""
