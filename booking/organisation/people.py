"""Users and an enterprise's members: who may change them and how.

Administrators manage every account; an enterprise admin manages the members of
their own enterprise only. Like the rest of the organisation services, every
function checks permission, validates before it changes anything, audits and flushes.
"""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import selectinload

from ..accounts.models import User
from ..accounts.permissions import Roles, forget_roles
from ..accounts.services import check_password_rules, hash_password, record
from ..errors import Forbidden, InvalidInput, NotFound
from ..extensions import db
from .models import Chain, Enterprise, Membership
from .services import _clean_email, _flush_unique, _get, _required, _taken, load_all, require_admin


MEMBER_ROLES = {"member": _l("Member"), "admin": _l("Enterprise admin")}


def may_manage_members(roles: Roles, enterprise_id: int) -> bool:
    return roles.is_admin or (roles.is_enterprise_admin and roles.enterprise_id == enterprise_id)


def _require_member_manager(roles: Roles, enterprise_id: int) -> None:
    if not may_manage_members(roles, enterprise_id):
        raise Forbidden(_("Only the enterprise's admins may manage its members."))


def get_user(roles: Roles, user_id: int) -> User:
    require_admin(roles)
    return _get(User, user_id, _("There is no such user."))


def get_member_enterprise(roles: Roles, enterprise_id: int) -> Enterprise:
    """The enterprise whose members the viewer manages (checked before the lookup: no probing)."""
    _require_member_manager(roles, enterprise_id)
    return _get(Enterprise, enterprise_id, _("There is no such enterprise."))


def get_member(roles: Roles, enterprise: Enterprise, user_id: int) -> User:
    """A member of ``enterprise``; anyone else is 'not found', whatever the id in the URL."""
    _require_member_manager(roles, enterprise.id)
    user = db.session.get(User, user_id)
    if user is None or user.membership is None or user.membership.enterprise_id != enterprise.id:
        raise NotFound(_("There is no such member."))
    return user


def users_query(roles: Roles, search: str = "") -> Select:
    require_admin(roles)
    query = select(User).options(selectinload(User.committee_chains)).order_by(User.name, User.id)
    search = (search or "").strip()
    if search:
        query = query.where(or_(User.name.icontains(search, autoescape=True),
                                User.email.icontains(search, autoescape=True)))
    return query


def members_query(roles: Roles, enterprise: Enterprise) -> Select:
    _require_member_manager(roles, enterprise.id)
    return (select(User).join(Membership, Membership.user_id == User.id)
            .where(Membership.enterprise_id == enterprise.id).order_by(User.name, User.id))


def all_users() -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.name, User.id)))


def _check_password(password: str, field: str = "password") -> None:
    try:
        check_password_rules(password or "")
    except InvalidInput as error:
        raise InvalidInput(error.message, code=error.code, field=field) from error


def create_user(actor: User, roles: Roles, data: dict) -> User:
    """An administrator creates an account with its roles (enterprise, committee chains)."""
    require_admin(roles)
    user = _new_user(data)
    enterprise = _enterprise_for_role(data)
    committee = load_all(Chain, data.get("committee_chain_ids"), "committee_chain_ids")
    user.is_admin = bool(data.get("is_admin"))
    db.session.add(user)
    _flush_unique("email", _("A user with this e-mail exists already."))
    _set_membership(user, enterprise, data.get("role") or "member")
    user.committee_chains = committee
    db.session.flush()
    forget_roles()
    record(actor, "user_created", "user", user.id, email=user.email, is_admin=user.is_admin,
           enterprise_id=data.get("enterprise_id") or None, role=_role_of(user),
           committee_chain_ids=sorted(c.id for c in committee))
    return user


def update_user(actor: User, roles: Roles, user: User, data: dict) -> User:
    """An administrator edits a user's name, e-mail and roles (the password has its own action)."""
    require_admin(roles)
    email = _clean_email(data.get("email") or "")
    name = _required(data, "name", _("Please give the user's name."))
    duplicate = _("A user with this e-mail exists already.")
    if _taken(User, User.email, email, user.id):
        raise InvalidInput(duplicate, code="duplicate", field="email")
    if user.id == actor.id and not data.get("is_admin"):
        raise InvalidInput(_("You cannot take away your own administrator rights."), code="self_demotion",
                           field="is_admin")
    enterprise = _enterprise_for_role(data)
    committee = load_all(Chain, data.get("committee_chain_ids"), "committee_chain_ids")

    before = {"email": user.email, "name": user.name, "is_admin": user.is_admin,
              "enterprise_id": user.membership.enterprise_id if user.membership else None,
              "role": _role_of(user), "committee_chain_ids": sorted(c.id for c in user.committee_chains)}
    user.email, user.name, user.is_admin = email, name, bool(data.get("is_admin"))
    _set_membership(user, enterprise, data.get("role") or "member")
    user.committee_chains = committee
    _flush_unique("email", duplicate)
    forget_roles()
    after = {"email": user.email, "name": user.name, "is_admin": user.is_admin,
             "enterprise_id": user.membership.enterprise_id if user.membership else None,
             "role": _role_of(user), "committee_chain_ids": sorted(c.id for c in committee)}
    record(actor, "user_updated", "user", user.id,
           changes={k: [before[k], after[k]] for k in after if before[k] != after[k]})
    return user


def set_user_active(actor: User, roles: Roles, user: User, active: bool) -> None:
    """Deactivate (the account stays, its sessions and tokens stop working) or reactivate a user."""
    if not roles.is_admin:
        enterprise_id = user.membership.enterprise_id if user.membership else None
        if enterprise_id is None or not may_manage_members(roles, enterprise_id):
            raise Forbidden(_("Only administrators and the enterprise's admins may do this."))
        if user.is_admin:
            raise Forbidden(_("Only administrators may change an administrator's account."))
    if user.id == actor.id and not active:
        raise InvalidInput(_("You cannot deactivate your own account."), code="self_deactivation")
    if user.active == active:
        return
    user.active = active
    db.session.flush()
    record(actor, "user_reactivated" if active else "user_deactivated", "user", user.id)


def reset_password(actor: User, roles: Roles, user: User, password: str) -> None:
    """Set a new password; every existing session of the user ends."""
    require_admin(roles)
    _check_password(password)
    user.password_hash = hash_password(password)
    user.session_version += 1
    db.session.flush()
    record(actor, "password_reset", "user", user.id)


def add_member(actor: User, roles: Roles, enterprise: Enterprise, data: dict) -> User:
    """A new account in ``enterprise``. An existing e-mail is refused: accounts are not claimed."""
    _require_member_manager(roles, enterprise.id)
    role = data.get("role") or "member"
    if role not in MEMBER_ROLES:
        raise InvalidInput(_("Unknown role."), code="invalid_role", field="role")
    user = _new_user(data)
    db.session.add(user)
    _flush_unique("email", _("A user with this e-mail exists already."))
    _set_membership(user, enterprise, role)
    db.session.flush()
    forget_roles()
    record(actor, "member_added", "user", user.id, enterprise_id=enterprise.id, email=user.email, role=role)
    return user


def set_member_role(actor: User, roles: Roles, enterprise: Enterprise, user: User, role: str) -> None:
    _require_member_manager(roles, enterprise.id)
    membership = user.membership
    if membership is None or membership.enterprise_id != enterprise.id:
        raise NotFound(_("There is no such member."))
    if role not in MEMBER_ROLES:
        raise InvalidInput(_("Unknown role."), code="invalid_role", field="role")
    if user.id == actor.id and not roles.is_admin:
        raise InvalidInput(_("You cannot change your own role; ask another admin of your enterprise."),
                           code="self_role", field="role")
    if user.is_admin and not roles.is_admin:
        raise Forbidden(_("Only administrators may change an administrator's account."))
    if membership.role == role:
        return
    before, membership.role = membership.role, role
    db.session.flush()
    forget_roles()
    record(actor, "member_role_changed", "user", user.id, enterprise_id=enterprise.id,
           changes={"role": [before, role]})


def _new_user(data: dict) -> User:
    email = _clean_email(data.get("email") or "")
    name = _required(data, "name", _("Please give the user's name."))
    if _taken(User, User.email, email, None):
        raise InvalidInput(_("A user with this e-mail exists already."), code="duplicate", field="email")
    _check_password(data.get("password") or "")
    return User(email=email, name=name, password_hash=hash_password(data["password"]), active=True)


def _enterprise_for_role(data: dict) -> Enterprise | None:
    """The enterprise a user is to belong to (None: none), with the role checked."""
    if not data.get("enterprise_id"):
        return None
    enterprise = db.session.get(Enterprise, data["enterprise_id"])
    if enterprise is None:
        raise InvalidInput(_("Some of the chosen entries no longer exist."), code="unknown_choice",
                           field="enterprise_id")
    if (data.get("role") or "member") not in MEMBER_ROLES:
        raise InvalidInput(_("Unknown role."), code="invalid_role", field="role")
    return enterprise


def _set_membership(user: User, enterprise: Enterprise | None, role: str) -> None:
    membership = user.membership
    if enterprise is None:
        if membership is not None:
            user.membership = None  # delete-orphan removes the row; bookings keep their enterprise
        return
    if membership is None:
        db.session.add(Membership(user=user, enterprise=enterprise, role=role))
    else:
        membership.enterprise, membership.role = enterprise, role


def _role_of(user: User) -> str | None:
    return user.membership.role if user.membership else None
