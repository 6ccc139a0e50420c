"""Catalogue API: datasets and live sources with provenance and freshness; run a source."""

from __future__ import annotations

from datetime import datetime

from django.http import Http404
from django.shortcuts import get_object_or_404
from ninja import Router, Schema

from beffroi.api.errors import responses
from beffroi.core.permissions import require
from beffroi.sources import actions, scoping, selectors
from beffroi.sources.models import Dataset, Source

router = Router(tags=["sources"])


class ColumnOut(Schema):
    name: str
    type: str


class DatasetOut(Schema):
    name: str
    title: str
    origin: str
    licence: str
    row_count: int
    updated_at: datetime
    freshness: str
    synthetic: bool
    geometry_column: str
    columns: list[ColumnOut]
    communes: list[str]
    territory_wide: bool


class SourceOut(Schema):
    name: str
    kind: str
    title: str
    origin: str
    licence: str
    period_seconds: int
    enabled: bool
    freshness: str
    last_run_at: datetime | None
    last_success_at: datetime | None
    last_error: str


class RunOut(Schema):
    status: str
    rows: int
    error: str
    started_at: datetime
    finished_at: datetime | None
    report: dict


@router.get("/datasets", response=responses(list[DatasetOut], 403))
def list_datasets(request):
    require(request.user, "sources.view_dataset")
    return scoping.visible(selectors.datasets(), request.user)


@router.get("/datasets/{name}", response=responses(DatasetOut, 403, 404))
def get_dataset(request, name: str):
    require(request.user, "sources.view_dataset")
    dataset = get_object_or_404(Dataset, name=name)
    if not scoping.can_see(dataset, request.user):
        raise Http404  # another commune's dataset
    return dataset


@router.get("/sources", response=responses(list[SourceOut], 403))
def list_sources(request):
    require(request.user, "sources.view_source")
    return selectors.sources()


@router.post("/sources/{name}/run", response=responses(RunOut, 400, 403, 404))
def run_source(request, name: str, dry_run: bool = False):
    require(request.user, "sources.manage_sources")
    src = get_object_or_404(Source, name=name)
    return actions.do_run_source(src, actor=request.user, dry_run=dry_run)
