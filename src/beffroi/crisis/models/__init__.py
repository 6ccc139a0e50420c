"""Crisis models, split by sub-domain: the crisis and its PCC, the main courante, tasks and reflex
sheets, the directory, resources and shelters, exercises."""

from beffroi.crisis.models.crisis import Crisis, Handover, Hazard, LogChain, Staffing
from beffroi.crisis.models.exercise import ExerciseRun
from beffroi.crisis.models.log import AppendOnlyError, ChainAnchor, LogEntry
from beffroi.crisis.models.means import Contact, Need, Resource, ResourceLoan, Shelter, ShelterEntry
from beffroi.crisis.models.tasks import ReflexItem, ReflexRun, ReflexSheet, Task

__all__ = [
    "AppendOnlyError",
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
    "Shelter",
    "ShelterEntry",
    "Staffing",
    "Task",
]
