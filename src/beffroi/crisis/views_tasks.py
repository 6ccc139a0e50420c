"""Task pages of a crisis: create, assign (to an account or a PCC cell, with a due time), change
status, and « my tasks », the part of the crisis page that tells a person what is theirs."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from beffroi.core.errors import UserError
from beffroi.crisis import actions_tasks as at
from beffroi.crisis import selectors
from beffroi.crisis.forms import AssignTaskForm, TaskForm
from beffroi.crisis.models import Task
from beffroi.crisis.views import _context, _htmx, crisis_people


def _crisis_url(request: HttpRequest, pk: int) -> str:
    # Absolute: it goes into the e-mail the assignee receives.
    return request.build_absolute_uri(reverse("crisis:detail", args=[pk]))


def _tasks_part(request: HttpRequest, crisis) -> HttpResponse:
    response = render(request, "crisis/detail.html#tasks", _context(request, crisis))
    response["HX-Trigger"] = "journal-changed"  # the main courante shows the new entry at once
    return response


@require_POST
def add_task(request: HttpRequest, pk: int) -> HttpResponse:
    crisis = selectors.get_crisis_for_user(request.user, pk)
    form = TaskForm(request.POST, prefix="task", users=crisis_people(crisis))
    if form.is_valid():
        d = form.cleaned_data
        try:
            entry = (
                selectors.entries(crisis).filter(seq=d["source_entry"]).first() if d["source_entry"] else None
            )
            at.do_create_task(
                crisis,
                title=d["title"],
                assignee=d["assignee"],
                cell=d["cell"],
                assignee_label=d["assignee_label"],
                priority=d["priority"],
                deadline=d["deadline"],
                source_entry=entry,
                url=_crisis_url(request, pk),
                actor=request.user,
            )
        except UserError as exc:
            messages.error(request, str(exc))
    else:
        messages.error(request, form.errors.as_text())
    return redirect("crisis:detail", pk=pk)


@require_POST
def assign_task(request: HttpRequest, pk: int, task_id: int) -> HttpResponse:
    crisis = selectors.get_crisis_for_user(request.user, pk)
    task = get_object_or_404(Task, crisis=crisis, pk=task_id)
    form = AssignTaskForm(request.POST, prefix="assign", users=crisis_people(crisis))
    status = 200
    if form.is_valid():
        d = form.cleaned_data
        try:
            at.do_assign_task(
                task,
                assignee=d["assignee"],
                cell=d["cell"],
                deadline=d["deadline"],
                url=_crisis_url(request, pk),
                actor=request.user,
            )
        except UserError as exc:
            messages.error(request, str(exc))
            status = 400
    else:
        messages.error(request, form.errors.as_text())
        status = 400
    if _htmx(request):
        response = _tasks_part(request, crisis)
        response.status_code = 200 if status == 200 else 422
        return response
    return redirect("crisis:detail", pk=pk)


@require_POST
def task_status(request: HttpRequest, pk: int, task_id: int) -> HttpResponse:
    crisis = selectors.get_crisis_for_user(request.user, pk)
    task = get_object_or_404(Task, crisis=crisis, pk=task_id)
    try:
        at.do_set_task_status(task, status=request.POST.get("status", ""), actor=request.user)
    except UserError as exc:
        messages.error(request, str(exc))
    if _htmx(request):
        return _tasks_part(request, crisis)
    return redirect("crisis:detail", pk=pk)


def my_tasks(request: HttpRequest, pk: int) -> HttpResponse:
    """The « for you » part of the crisis page, re-fetched when a task is assigned or changes."""
    crisis = selectors.get_crisis_for_user(request.user, pk)
    return render(request, "crisis/detail.html#my_tasks", _context(request, crisis))
