"""regoffice: BPMN workflow and document server for a university Registrar Office."""

__version__ = "0.1.0"
