"""Tasks and the inbox: a task's form and its validation, claim, complete, delegate; the
inbox queries."""
