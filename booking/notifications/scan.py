"""Time-triggered work, run by the ``send-notifications`` worker before each delivery round.

CONTRACT (implementation pending): ``run(now)`` releases no-shows, expires waiting-list
entries whose slot has passed and queues reminders, warnings about pending requests about to
expire unanswered and series ending soon; each message at most once (dedupe keys). It flushes;
the caller commits. Returns counts by what was done.
"""
from __future__ import annotations

from datetime import datetime


def run(now: datetime | None = None) -> dict[str, int]:
    return {}
