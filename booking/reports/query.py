"""What a report is asked: which facilities and enterprises, which period, grouped how."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

GROUPS = ("facility", "enterprise", "kind", "chain", "month")


@dataclass(frozen=True)
class Scope:
    """Filters; ``None`` means no restriction on that dimension."""
    chain_ids: frozenset[int] | None = None
    kinds: frozenset[str] | None = None
    facility_ids: frozenset[int] | None = None
    enterprise_ids: frozenset[int] | None = None


@dataclass(frozen=True)
class Period:
    """Local calendar days ``start`` (inclusive) to ``end`` (exclusive), in each facility's own time zone."""
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def previous(self) -> Period:
        """The period of the same length just before (for a whole month: the previous month)."""
        from dateutil.relativedelta import relativedelta
        if self.start.day == 1 and self.end.day == 1:
            months = (self.end.year - self.start.year) * 12 + self.end.month - self.start.month
            return Period(self.start - relativedelta(months=months), self.start)
        return replace(self, start=self.start - (self.end - self.start), end=self.start)


def month_periods(period: Period) -> list[Period]:
    months, day = [], period.start
    while day < period.end:
        following = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
        months.append(Period(day, min(following, period.end)))
        day = following
    return months
