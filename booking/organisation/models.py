from __future__ import annotations

from datetime import datetime

from flask_babel import get_locale
from sqlalchemy import Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from ..accounts.models import User
from ..db import UTCDateTime
from ..extensions import db
from ..timeutil import utcnow

chain_enterprises = Table(
    "chain_enterprises",
    db.metadata,
    Column("chain_id", ForeignKey("chains.id", ondelete="CASCADE"), primary_key=True),
    Column("enterprise_id", ForeignKey("enterprises.id", ondelete="CASCADE"), primary_key=True),
)

chain_committee = Table(
    "chain_committee",
    db.metadata,
    Column("chain_id", ForeignKey("chains.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class Named:
    """Records named in Chinese with an optional English name."""
    name: Mapped[str]
    name_en: Mapped[str | None]

    @property
    def display_name(self) -> str:
        locale = get_locale()
        if self.name_en and locale is not None and locale.language == "en":
            return self.name_en
        return self.name


class Chain(Named, db.Model):
    __tablename__ = "chains"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    name_en: Mapped[str | None] = mapped_column(String(160))
    description: Mapped[str] = mapped_column(String(2000), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    # Whether members see which enterprise holds a "booked" block of another enterprise.
    show_booker_names: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    enterprises: Mapped[list[Enterprise]] = relationship(
        secondary=chain_enterprises, back_populates="chains", order_by="Enterprise.name")
    committee: Mapped[list[User]] = relationship(
        secondary=chain_committee, backref=backref("committee_chains", order_by="Chain.name"))


class Enterprise(Named, db.Model):
    __tablename__ = "enterprises"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160), unique=True)
    name_en: Mapped[str | None] = mapped_column(String(200))
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    contact_name: Mapped[str] = mapped_column(String(80), default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    chains: Mapped[list[Chain]] = relationship(
        secondary=chain_enterprises, back_populates="enterprises", order_by="Chain.name")


class Membership(db.Model):
    """A user's place in an enterprise: a plain member or the enterprise's admin."""
    __tablename__ = "memberships"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    role: Mapped[str] = mapped_column(String(16), default="member")  # member | admin

    user: Mapped[User] = relationship(
        backref=backref("membership", uselist=False, lazy="joined", cascade="all, delete-orphan"))
    enterprise: Mapped[Enterprise] = relationship(lazy="joined")
