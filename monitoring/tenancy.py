"""Who may see and change what: the organizations a user manages.

A superuser manages everything. Anyone else manages the active organizations where their
membership has ``is_admin``; a plain member manages nothing and so reaches no endpoint.
"""
from __future__ import annotations

import uuid

from flask import g

from monitoring.models import User


def managed_organization_ids(user: User, *, fresh: bool = False) -> set[uuid.UUID] | None:
    """The ids of the organizations ``user`` manages; ``None`` means all (superuser).

    Computed once per request: every check of the request sees the same answer. ``fresh``:
    read again (a stream that lasts hours follows the changes of memberships).
    """
    if user.is_superuser:
        return None
    cache = g.setdefault("_managed_org_ids", {})
    if fresh or user.id not in cache:
        cache[user.id] = {m.organization_id for m in user.memberships if m.is_admin and m.organization.is_active}
    return cache[user.id]


def is_manager(user: User) -> bool:
    return user.is_superuser or bool(managed_organization_ids(user))


def manages(user: User, organization_id: uuid.UUID | None) -> bool:
    ids = managed_organization_ids(user)
    return ids is None or organization_id in ids


def scoped(statement, organization_column, user: User):
    """Restrict a SELECT to the rows of organizations ``user`` manages."""
    ids = managed_organization_ids(user)
    if ids is None:
        return statement
    return statement.where(organization_column.in_(ids))
