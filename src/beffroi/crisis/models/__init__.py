"""Crisis models, split by sub-domain: the crisis and its PCC, the main courante, tasks and reflex
sheets, the directory, resources and shelters, exercises."""

from beffroi.crisis.models.crisis import Crisis, Handover, Hazard, LogChain, Staffing
from beffroi.crisis.models.exercise import ExerciseRun
from beffroi.crisis.models.log import AppendOnlyError, ChainAnchor, LogEntry
from beffroi.crisis.models.means import (
    POOL,
    Commitment,
    Contact,
    Need,
    Resource,
    ResourceLoan,
    ResourceRequest,
    Shelter,
    ShelterEntry,
)
from beffroi.crisis.models.tasks import ReflexItem, ReflexRun, ReflexSheet, Task

__all__ = [
    "POOL",
    "AppendOnlyError",
    "Commitment",
    "ChainAnchor",
    "Contact",
    "Crisis",
    "ExerciseRun",
    "Handover",
    "Hazard",
    "LogChain",
    "LogEntry",
    "Need",
    "ReflexItem",
    "ReflexRun",
    "ReflexSheet",
    "Resource",
    "ResourceLoan",
    "ResourceRequest",
    "Shelter",
    "ShelterEntry",
    "Staffing",
    "Task",
]
