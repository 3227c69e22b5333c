"""Login throttling of POST /api/v1/users/token/ and the login form: repeated failures for
one username or from one client address are refused with 429 and Retry-After."""
import pytest
from sqlalchemy import func, select, text

from monitoring.extensions import db
from monitoring.models import LoginThrottle
from tests.blueprints.test_auth import LOGIN_URL, TOKEN_URL, form_csrf_token

LIMIT = 5  # LOGIN_MAX_FAILURES default
LOCK_SECONDS = 15 * 60


@pytest.fixture
def alice(make):
    return make.user(username="alice", password="alice-pass")


def token_login(client, username, password, address="10.0.0.1"):
    return client.post(TOKEN_URL, json={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def form_login(client, username, password, address="10.0.0.1"):
    token = form_csrf_token(client)
    return client.post(LOGIN_URL, data={"csrf_token": token, "username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def fail(client, username, times, *, address="10.0.0.1", login=token_login):
    for _ in range(times):
        assert login(client, username, "wrong-pass", address).status_code == 400


def assert_locked(response):
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= LOCK_SECONDS
    assert response.get_json() == {
        "detail": f"Too many failed login attempts. Try again in {response.headers['Retry-After']} seconds."}


def test_failures_for_one_username_lock_it_even_with_the_right_password(client, alice):
    fail(client, "alice", LIMIT)
    assert_locked(token_login(client, "alice", "alice-pass"))
    # From any address: the username itself is locked.
    assert_locked(token_login(client, "alice", "alice-pass", address="10.9.9.9"))


def test_failures_below_the_limit_do_not_lock(client, alice):
    fail(client, "alice", LIMIT - 1)
    assert token_login(client, "alice", "alice-pass").status_code == 200


def test_failures_from_one_address_lock_it_for_every_username(client, alice):
    for n in range(LIMIT):
        assert token_login(client, f"nobody{n}", "wrong-pass", address="10.6.6.6").status_code == 400
    assert_locked(token_login(client, "alice", "alice-pass", address="10.6.6.6"))
    assert token_login(client, "alice", "alice-pass", address="10.7.7.7").status_code == 200


def test_success_clears_the_failures_of_the_username(client, alice):
    fail(client, "alice", LIMIT - 1)
    assert token_login(client, "alice", "alice-pass", address="10.0.0.2").status_code == 200
    fail(client, "alice", LIMIT - 1, address="10.0.0.3")
    assert token_login(client, "alice", "alice-pass", address="10.0.0.4").status_code == 200


def test_the_lock_ends_after_its_period(client, alice, app_context):
    fail(client, "alice", LIMIT)
    assert_locked(token_login(client, "alice", "alice-pass"))
    # As if the lock period had passed.
    db.session.execute(text("UPDATE login_throttle SET locked_until = now() - interval '1 second'"))
    db.session.commit()
    assert token_login(client, "alice", "alice-pass").status_code == 200


def test_counts_are_kept_in_the_database(client, alice, app_context):
    """Every worker and host sees the same failures: they are rows, not process memory."""
    fail(client, "alice", 2)
    rows = {row.key: row.failures for row in db.session.scalars(select(LoginThrottle))}
    assert rows == {"user:alice": 2, "addr:10.0.0.1": 2}


def test_a_locked_attempt_is_not_counted_and_checks_no_password(client, alice, app_context):
    fail(client, "alice", LIMIT)
    locked_until = db.session.scalar(select(func.max(LoginThrottle.locked_until)))
    for _ in range(3):
        assert token_login(client, "alice", "wrong-pass").status_code == 429
    db.session.expire_all()
    assert db.session.scalar(select(func.max(LoginThrottle.locked_until))) == locked_until


def test_the_login_form_is_throttled_with_an_html_page(client, alice):
    fail(client, "alice", LIMIT, login=form_login)
    response = form_login(client, "alice", "alice-pass")
    assert response.status_code == 429
    assert response.mimetype == "text/html"
    assert 0 < int(response.headers["Retry-After"]) <= LOCK_SECONDS
    assert "Too many failed login attempts" in response.get_data(as_text=True)
    assert client.get("/api/v1/users/user/").status_code == 401  # no session was started


def test_form_and_token_failures_count_together(client, alice):
    fail(client, "alice", 3, login=form_login)
    fail(client, "alice", LIMIT - 3)
    assert_locked(token_login(client, "alice", "alice-pass"))
