"""Cases and their steps: registration, start, view, search, cancel; writing each engine
step (tasks, timers, service calls); applications, scans, batch orders, instructions, the
process map."""
