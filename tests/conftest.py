"""Fixtures: the app against the real TimescaleDB of ``make test``, a clean database for
every test, and factories that create data the way the service does."""
from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass

import pytest
from flask_migrate import upgrade
from sqlalchemy import text

from monitoring import create_app
from monitoring.extensions import db
from monitoring.models import Device, DeviceMonitoring, Location, Organization, OrganizationUser, User
from monitoring.services.accounts import tokens
from monitoring.services.accounts.users import hash_password
from monitoring.services.inventory import devices as devices_service


@pytest.fixture(scope="session")
def app():
    app = create_app("config.TestConfig")
    with app.app_context():
        upgrade()
    return app


@pytest.fixture(autouse=True)
def clean_database(app):
    """Every test starts from empty tables (the schema stays)."""
    yield
    with app.app_context():
        db.session.remove()
        tables = ", ".join(t.name for t in db.metadata.sorted_tables)
        db.session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.session.commit()


@pytest.fixture(scope="session")
def data_app(app):
    """A second app instance for fixtures and assertions. If they used ``app``'s context,
    the test client would reuse it for requests (Flask only pushes a new app context for a
    different app), sharing ``g`` and the database session with the test: each request
    must start fresh, as it does in production."""
    return create_app("config.TestConfig")


@pytest.fixture
def app_context(data_app):
    with data_app.app_context():
        yield
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


class Factory:
    """Creates rows for tests; every call gets unique names."""

    _seq = itertools.count(1)

    def org(self, name: str | None = None, *, is_active: bool = True) -> Organization:
        n = next(self._seq)
        org = Organization(name=name or f"org-{n}", slug=f"org-{n}-{uuid.uuid4().hex[:6]}", is_active=is_active)
        db.session.add(org)
        db.session.commit()
        return org

    def user(self, *, superuser: bool = False, manages=(), member_of=(), password: str = "secret-pass",
             is_active: bool = True, username: str | None = None) -> User:
        n = next(self._seq)
        user = User(username=username or f"user{n}", email=f"user{n}@example.com",
                    password_hash=hash_password(password), is_superuser=superuser, is_active=is_active)
        for org in manages:
            user.memberships.append(OrganizationUser(organization_id=org.id, is_admin=True))
        for org in member_of:
            user.memberships.append(OrganizationUser(organization_id=org.id, is_admin=False))
        db.session.add(user)
        db.session.commit()
        return user

    def token(self, user: User) -> str:
        return tokens.issue_token(user=user)

    def headers(self, user: User) -> dict:
        return {"Authorization": f"Bearer {self.token(user)}"}

    def device(self, org: Organization, **fields) -> Device:
        n = next(self._seq)
        data = {"name": f"device-{n}", "mac_address": f"00:11:22:33:{n // 256:02x}:{n % 256:02x}",
                "organization_id": org.id}
        data.update(fields)
        device = Device(key=devices_service.generate_key(), **data)
        device.monitoring = DeviceMonitoring(status="unknown")
        db.session.add(device)
        db.session.commit()
        return device

    def location(self, org: Organization, **fields) -> Location:
        n = next(self._seq)
        data = {"name": f"location-{n}", "organization_id": org.id, "type": "outdoor",
                "longitude": 12.5, "latitude": 41.9}
        data.update(fields)
        location = Location(**data)
        db.session.add(location)
        db.session.commit()
        return location


@dataclass
class Tenants:
    """Two organizations, with the bearer headers of a manager of each and of a superuser."""

    a: Organization
    b: Organization
    headers_a: dict
    headers_b: dict
    headers_super: dict

    @classmethod
    def create(cls, make: Factory, *, name_a: str = "A") -> Tenants:
        org_a, org_b = make.org(name_a), make.org("B")
        return cls(a=org_a, b=org_b, headers_a=make.headers(make.user(manages=[org_a])),
                   headers_b=make.headers(make.user(manages=[org_b])),
                   headers_super=make.headers(make.user(superuser=True)))


@pytest.fixture
def tenants(make) -> Tenants:
    return Tenants.create(make)


@pytest.fixture
def make(app_context) -> Factory:
    return Factory()


@pytest.fixture
def org(make) -> Organization:
    """An organization, for tests that need one and nothing special about it."""
    return make.org()


@pytest.fixture
def device(make, org) -> Device:
    """A device of ``org``."""
    return make.device(org)


@pytest.fixture
def superuser(make):
    return make.user(superuser=True)


@pytest.fixture
def admin_headers(make, superuser):
    return make.headers(superuser)
