"""Background tasks, small and explicit.

A task is a row (`Task`) and a function registered under its kind. `task_enqueue` writes
the row; once the surrounding transaction commits, the embedded setup (AWDA_TASKS=thread,
the default) runs it in a thread of the web process, and a production setup
(AWDA_TASKS=worker) leaves it to `awda run_tasks`, which claims queued tasks one at a
time. A task reports progress through the callback it is given; a failure is recorded
on the row with its error class (never the data it was working on).
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import close_old_connections, transaction
from django.utils import timezone

from awda.accounts.models import User
from awda.common.models import Task

logger = logging.getLogger(__name__)

Progress = Callable[[int, str], None]
TaskFunction = Callable[[Task, Progress], dict[str, Any]]
_REGISTRY: dict[str, TaskFunction] = {}


def task(kind: str) -> Callable[[TaskFunction], TaskFunction]:
    def register(function: TaskFunction) -> TaskFunction:
        _REGISTRY[kind] = function
        return function

    return register


def task_enqueue(*, kind: str, by: User | None, params: dict[str, Any] | None = None) -> Task:
    if kind not in _REGISTRY:
        raise ValueError(f"no task of kind {kind!r}")
    queued = Task.objects.create(
        kind=kind,
        created_by=by,
        organisation_id=by.organisation_id if by else None,
        params=params or {},
    )
    mode = getattr(settings, "AWDA_TASKS", "thread")
    if mode == "inline":
        transaction.on_commit(lambda: task_run(queued.pk))
    elif mode == "thread":
        transaction.on_commit(lambda: _start_thread(queued.pk))
    return queued


def _start_thread(pk: int) -> None:
    def run() -> None:
        try:
            task_run(pk)
        finally:
            close_old_connections()

    threading.Thread(target=run, name=f"awda-task-{pk}", daemon=True).start()


def task_claim_next() -> int | None:
    """The oldest queued task, marked running, or None (safe with several workers)."""
    for pk in (
        Task.objects.filter(status=Task.Status.QUEUED)
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:10]
    ):
        claimed = Task.objects.filter(pk=pk, status=Task.Status.QUEUED).update(
            status=Task.Status.RUNNING, started_at=timezone.now()
        )
        if claimed:
            return pk
    return None


def task_run(pk: int, *, claimed: bool = False) -> None:
    """Run a queued task (or one `task_claim_next` has just claimed)."""
    if not claimed and not Task.objects.filter(pk=pk, status=Task.Status.QUEUED).update(
        status=Task.Status.RUNNING, started_at=timezone.now()
    ):
        return
    current = Task.objects.get(pk=pk)

    def progress(percent: int, message: str) -> None:
        Task.objects.filter(pk=pk).update(progress=max(0, min(100, percent)), message=message[:200])

    try:
        result = _REGISTRY[current.kind](current, progress)
    except Exception as error:
        # Where it failed, not what it said: messages can quote the data (a name, a cell).
        frame = traceback.extract_tb(error.__traceback__)[-1]
        logger.error(
            "task %s (%s) failed: %s at %s:%s",
            pk,
            current.kind,
            type(error).__name__,
            frame.filename.rsplit("/", 1)[-1],
            frame.lineno,
        )
        Task.objects.filter(pk=pk).update(
            status=Task.Status.FAILED,
            finished_at=timezone.now(),
            message=f"failed: {type(error).__name__}",
        )
        return
    Task.objects.filter(pk=pk).update(
        status=Task.Status.DONE,
        progress=100,
        finished_at=timezone.now(),
        result=result,
    )
