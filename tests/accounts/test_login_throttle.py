"""Login throttling of POST /api/v1/users/token/ and the login form: failed logins slow an
attacker down with growing delays (429 with Retry-After) without locking the owner out.

Failures are counted per username and address pair (delays after LOGIN_MAX_FAILURES), per
username (after LOGIN_MAX_FAILURES_PER_USERNAME) and per address (after
LOGIN_MAX_FAILURES_PER_ADDRESS); a correct password from an address the account has logged
in from before only answers to the pair's count.
"""
import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select, text, update

from monitoring.extensions import db
from monitoring.models import KnownLoginAddress, LoginThrottle
from tests.accounts.test_auth import LOGIN_URL, TOKEN_URL, form_csrf_token

PAIR_LIMIT = 5  # LOGIN_MAX_FAILURES
USERNAME_LIMIT = 20  # LOGIN_MAX_FAILURES_PER_USERNAME
ADDRESS_LIMIT = 100  # LOGIN_MAX_FAILURES_PER_ADDRESS
MAX_DELAY = 300  # LOGIN_MAX_DELAY_SECONDS


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


def assert_delayed(response, *, at_most=MAX_DELAY):
    """429 with Retry-After, and the reference's wording; returns the delay."""
    assert response.status_code == 429
    retry_after = int(response.headers["Retry-After"])
    assert 0 < retry_after <= at_most
    assert response.get_json() == {
        "detail": f"Too many failed login attempts. Try again in {retry_after} seconds."}
    return retry_after


def let_delays_pass():
    """As if every delay had run out (the failures stay counted)."""
    db.session.execute(text("UPDATE login_throttle SET locked_until = now() - interval '1 second'"))
    db.session.commit()


def counts() -> dict:
    db.session.expire_all()
    return {row.key: row.failures for row in db.session.scalars(select(LoginThrottle))}


# --- one username from one address ------------------------------------------------------


def test_failures_below_the_limit_are_not_delayed(client, alice):
    fail(client, "alice", PAIR_LIMIT - 1)
    assert token_login(client, "alice", "alice-pass").status_code == 200


def test_after_the_limit_each_attempt_waits_twice_as_long(client, alice, app_context):
    fail(client, "alice", PAIR_LIMIT)
    waits = []
    for _ in range(5):
        waits.append(assert_delayed(token_login(client, "alice", "alice-pass")))
        let_delays_pass()
        fail(client, "alice", 1)
    assert waits == [1, 2, 4, 8, 16]


def test_delays_are_capped(client, alice, app_context):
    fail(client, "alice", PAIR_LIMIT)
    db.session.execute(update(LoginThrottle).values(failures=PAIR_LIMIT + 40))
    let_delays_pass()
    fail(client, "alice", 1)
    assert assert_delayed(token_login(client, "alice", "alice-pass")) == MAX_DELAY


def test_a_delayed_attempt_is_not_counted_and_checks_no_password(client, alice, app_context):
    fail(client, "alice", PAIR_LIMIT)
    before = counts()
    for password in ("wrong-pass", "alice-pass"):
        assert_delayed(token_login(client, "alice", password))
    assert counts() == before


def test_the_delay_of_a_pair_leaves_other_addresses_and_usernames_alone(client, make, alice):
    make.user(username="bob", password="bob-pass")
    fail(client, "alice", PAIR_LIMIT)
    assert_delayed(token_login(client, "alice", "alice-pass"))
    assert token_login(client, "alice", "alice-pass", address="10.0.0.2").status_code == 200
    assert token_login(client, "bob", "bob-pass").status_code == 200


def test_success_forgets_the_pairs_failures(client, alice):
    fail(client, "alice", PAIR_LIMIT - 1)
    assert token_login(client, "alice", "alice-pass").status_code == 200
    fail(client, "alice", PAIR_LIMIT - 1)
    assert token_login(client, "alice", "alice-pass").status_code == 200


def test_failures_are_forgotten_after_a_quiet_window(client, alice, app_context):
    fail(client, "alice", PAIR_LIMIT)
    db.session.execute(text("UPDATE login_throttle SET last_failure_at = now() - interval '901 seconds', "
                            "locked_until = now() - interval '1 second'"))
    db.session.commit()
    fail(client, "alice", PAIR_LIMIT - 1)  # counted from 1 again: no delay yet
    assert token_login(client, "alice", "alice-pass").status_code == 200


def test_counts_are_kept_in_the_database(client, alice, app_context):
    """Every worker and host sees the same failures: they are rows, not process memory."""
    fail(client, "alice", 2)
    assert counts() == {"pair:10.0.0.1 alice": 2, "user:alice": 2, "addr:10.0.0.1": 2}


# --- shared addresses and accounts under attack -----------------------------------------


def test_a_few_dozen_bad_logins_from_an_address_do_not_lock_the_superuser_out(client, make):
    """Behind a proxy or a NAT every user shares one address: an attacker there slows
    down, the others log in."""
    make.user(superuser=True, username="root", password="root-pass")
    make.user(username="carol", password="carol-pass")
    assert token_login(client, "root", "root-pass", "127.0.0.1").status_code == 200
    for n in range(40):
        username = "root" if n % 2 else f"guess{n % 8}"
        assert token_login(client, username, "wrong-pass", "127.0.0.1").status_code in (400, 429)
    # The pair attacked waits at most a second or two (the attacker's refused attempts
    # are not failures), then the right password works.
    assert_delayed(token_login(client, "root", "root-pass", "127.0.0.1"), at_most=2)
    let_delays_pass()
    assert token_login(client, "root", "root-pass", "127.0.0.1").status_code == 200
    # Anybody else behind that address is not slowed down at all.
    assert token_login(client, "carol", "carol-pass", "127.0.0.1").status_code == 200


def test_failures_for_one_username_from_many_addresses_slow_new_addresses_only(client, make):
    make.user(superuser=True, username="root", password="root-pass")
    assert token_login(client, "root", "root-pass", "192.0.2.1").status_code == 200
    for n in range(USERNAME_LIMIT):
        assert token_login(client, "root", "wrong-pass", f"10.1.0.{n}").status_code == 400
    # A new address waits...
    assert_delayed(token_login(client, "root", "root-pass", "10.9.9.9"), at_most=1)
    # ...but the owner's usual address is not affected, again and again.
    for _ in range(3):
        assert token_login(client, "root", "root-pass", "192.0.2.1").status_code == 200


def test_an_address_has_a_much_higher_ceiling(client, make, alice):
    make.user(username="carol", password="carol-pass")
    make.user(username="dave", password="dave-pass")
    assert token_login(client, "alice", "alice-pass", "10.6.6.6").status_code == 200
    for n in range(ADDRESS_LIMIT - 1):
        assert token_login(client, f"nobody{n // 4}", "wrong-pass", "10.6.6.6").status_code == 400
    # Just below the ceiling, a first login from here is not held up.
    assert token_login(client, "dave", "dave-pass", "10.6.6.6").status_code == 200
    assert token_login(client, "somebody", "wrong-pass", "10.6.6.6").status_code == 400
    # Past the ceiling, an account that never logged in from here waits; alice, who did,
    # does not.
    assert_delayed(token_login(client, "carol", "carol-pass", "10.6.6.6"), at_most=1)
    assert token_login(client, "alice", "alice-pass", "10.6.6.6").status_code == 200


def test_a_known_address_still_answers_to_the_pairs_count(client, alice):
    assert token_login(client, "alice", "alice-pass").status_code == 200
    fail(client, "alice", PAIR_LIMIT)
    assert_delayed(token_login(client, "alice", "wrong-pass"))


def test_failures_from_a_known_address_count_for_the_username_too(client, alice):
    assert token_login(client, "alice", "alice-pass").status_code == 200
    fail(client, "alice", PAIR_LIMIT)
    assert counts()["user:alice"] == PAIR_LIMIT


def test_successes_are_remembered_per_account_and_address(client, make, alice, app_context):
    assert token_login(client, "alice", "alice-pass", "10.0.0.7").status_code == 200
    assert form_login(client, "alice", "alice-pass", "10.0.0.8").status_code == 303
    known = {(row.user_id, row.address) for row in db.session.scalars(select(KnownLoginAddress))}
    assert known == {(alice.id, "10.0.0.7"), (alice.id, "10.0.0.8")}
    # Successes are not failures: nothing is left counted.
    assert set(counts().values()) <= {0}


def test_an_address_is_forgotten_after_login_known_address_days(client, make, alice, app_context):
    make.user(username="carol", password="carol-pass")
    assert token_login(client, "carol", "carol-pass", "10.0.0.9").status_code == 200
    db.session.execute(text("UPDATE login_known_addresses SET last_login_at = now() - interval '91 days'"))
    db.session.commit()
    for n in range(USERNAME_LIMIT):
        assert token_login(client, "carol", "wrong-pass", f"10.2.0.{n}").status_code == 400
    assert_delayed(token_login(client, "carol", "carol-pass", "10.0.0.9"), at_most=1)


# --- concurrency ------------------------------------------------------------------------


def fire_at_once(app, attempts: int, username="alice", password="wrong-pass", address="10.0.0.1") -> list[int]:
    """``attempts`` logins sent together from threads; their status codes."""
    start = threading.Barrier(attempts)

    def attempt(_):
        client = app.test_client()
        start.wait()
        return token_login(client, username, password, address).status_code

    with ThreadPoolExecutor(attempts) as pool:
        return list(pool.map(attempt, range(attempts)))


def test_concurrent_guesses_are_judged_no_more_than_allowed(app, alice, app_context):
    began = time.monotonic()
    statuses = fire_at_once(app, 20)
    elapsed = time.monotonic() - began
    judged = statuses.count(400)
    assert judged + statuses.count(429) == 20
    # After PAIR_LIMIT failures the waits are 1, 2, 4 … s: at most one more attempt per
    # wait that has run out while the guesses were answered.
    extra = math.floor(math.log2(elapsed + 1))
    assert PAIR_LIMIT <= judged <= PAIR_LIMIT + extra
    assert counts()["pair:10.0.0.1 alice"] == judged


def test_when_a_delay_runs_out_exactly_one_of_many_concurrent_guesses_is_judged(app, client, alice,
                                                                                app_context):
    fail(client, "alice", PAIR_LIMIT)
    # Far into the delays: the next one lasts minutes, so the burst never outlives it.
    db.session.execute(update(LoginThrottle).values(failures=PAIR_LIMIT + 10))
    let_delays_pass()
    statuses = fire_at_once(app, 20)
    assert statuses.count(400) == 1
    assert statuses.count(429) == 19
    assert counts()["pair:10.0.0.1 alice"] == PAIR_LIMIT + 11


# --- the login form ---------------------------------------------------------------------


def test_the_login_form_is_throttled_with_an_html_page(client, alice):
    fail(client, "alice", PAIR_LIMIT, login=form_login)
    response = form_login(client, "alice", "alice-pass")
    assert response.status_code == 429
    assert response.mimetype == "text/html"
    assert int(response.headers["Retry-After"]) == 1
    assert "Too many failed login attempts" in response.get_data(as_text=True)
    assert client.get("/api/v1/users/user/").status_code == 401  # no session was started


def test_form_and_token_failures_count_together(client, alice):
    fail(client, "alice", 3, login=form_login)
    fail(client, "alice", PAIR_LIMIT - 3)
    assert_delayed(token_login(client, "alice", "alice-pass"))
