from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..db import UTCDateTime
from ..extensions import db
from ..facilities.models import Facility
from ..organisation.models import Chain, Enterprise
from ..timeutil import utcnow

PERIODS = {"day": _l("per day"), "week": _l("per week"), "month": _l("per month"), "year": _l("per year")}
OVER_LIMIT = {"refuse": _l("Refuse the request"), "flag": _l("Accept as pending, flagged for the manager")}


class Quota(db.Model):
    """A limit on what one enterprise holds, pooled across all its members.

    It applies to one facility, or to every facility of a kind (in one chain, or in every
    chain); to one enterprise, or to each enterprise on its own. Pending and approved
    bookings count (and those that went on to be used or missed). A quota is never
    deleted, only retired (``deleted_at``), so that old decisions stay explainable.
    """
    __tablename__ = "quotas"
    __table_args__ = (
        CheckConstraint("(facility_id IS NULL) <> (kind IS NULL)", name="facility_or_kind"),
        CheckConstraint("(limit_hours IS NULL) <> (limit_bookings IS NULL)", name="hours_or_bookings"),
        CheckConstraint("period IN ('day', 'week', 'month', 'year')", name="period_known"),
        CheckConstraint("over_limit IN ('refuse', 'flag')", name="over_limit_known"),
        CheckConstraint("limit_hours IS NULL OR limit_hours >= 0", name="hours_non_negative"),
        CheckConstraint("limit_bookings IS NULL OR limit_bookings >= 0", name="bookings_non_negative"),
        Index("ix_quotas_facility", "facility_id"),
        Index("ix_quotas_kind", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("facilities.id", ondelete="CASCADE"))
    kind: Mapped[str | None] = mapped_column(String(32))
    # For a kind: only the facilities of this chain (None: of every chain).
    chain_id: Mapped[int | None] = mapped_column(ForeignKey("chains.id", ondelete="CASCADE"))
    # None: every enterprise, each counted on its own.
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(8))
    limit_hours: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    limit_bookings: Mapped[int | None]
    # Count only the part of each booking inside the facility's peak hours.
    peak_only: Mapped[bool] = mapped_column(default=False)
    over_limit: Mapped[str] = mapped_column(String(8), default="refuse")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    facility: Mapped[Facility | None] = relationship()
    chain: Mapped[Chain | None] = relationship()
    enterprise: Mapped[Enterprise | None] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
