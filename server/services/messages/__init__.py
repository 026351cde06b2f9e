"""BPMN messages between the outside world and cases, and between cases."""
