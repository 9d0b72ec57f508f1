"""The words of a notification, rendered in the current locale when shown or sent.

CONTRACT (implementation pending): ``summary(notification)`` returns a Summary with a one-line
``title``, a short plain-text ``body`` and the ``url`` (path) of what it is about.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Summary:
    title: str
    body: str
    url: str | None


def summary(notification) -> Summary:
    return Summary(notification.kind_label, "", None)
