"""The workflow engine: the only package that imports SpiffWorkflow.

Public surface:
- `compile_model` / `ModelError`: parse and validate uploaded BPMN/DMN at deploy time;
- `ProcessBundle`: a parsed, cached process version (spec + per-task metadata);
- `Instance`: one running workflow (new or restored from stored state) with the operations
  the services need: run, ready user tasks, complete, timers, service calls, dump.
"""

from server.engine.budget import ScriptLimits
from server.engine.decisions import literal_decision
from server.engine.errors import EngineError, ModelError, ModelIssue, TaskNotReady
from server.engine.loader import CompiledModel, ProcessBundle, compile_model, load_bundle
from server.engine.messages import MESSAGE_SEND, WaitingMessage, message_start_names, read_path
from server.engine.runtime import SERIALIZER_VERSION, Instance, ReadyTask, ServiceCall, WaitingTimer
from server.engine.scripting import ScriptFunctions
from server.engine.versions import MigrationPlan

__all__ = [
    "MESSAGE_SEND",
    "SERIALIZER_VERSION",
    "CompiledModel",
    "EngineError",
    "Instance",
    "MigrationPlan",
    "ModelError",
    "ModelIssue",
    "ProcessBundle",
    "ReadyTask",
    "ScriptFunctions",
    "ScriptLimits",
    "ServiceCall",
    "TaskNotReady",
    "WaitingMessage",
    "WaitingTimer",
    "compile_model",
    "literal_decision",
    "load_bundle",
    "message_start_names",
    "read_path",
]
