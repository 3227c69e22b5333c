"""The worker: a job runs once per period however many workers ask, failures are recorded,
retention drops old chunks and nothing newer, expired account data goes, and the CLI's
one-shot mode."""
from __future__ import annotations

import subprocess
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import text

from monitoring import worker
from monitoring.extensions import db
from monitoring.models import WorkerJob, utcnow
from monitoring.timeseries import retention


def job_row(name):
    db.session.expire_all()
    return db.session.get(WorkerJob, name)


def test_two_workers_run_a_job_once(app, data_app, app_context):
    runs = []
    both_started = threading.Barrier(2)

    def slow_job():
        runs.append(threading.get_ident())
        time.sleep(0.3)  # long enough for the other worker to find it running
        return "did it"

    job = worker.Job("probe", timedelta(minutes=5), slow_job)
    ran = []

    def one_worker(flask_app):
        both_started.wait()
        ran.append(worker.run_due(flask_app, [job]))

    threads = [threading.Thread(target=one_worker, args=(a,)) for a in (app, data_app)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(runs) == 1
    assert sorted(ran) == [[], ["probe"]]
    row = job_row("probe")
    assert row.last_summary == "did it" and row.last_error is None and row.last_duration_ms >= 300
    # Later, on any worker, still within the period: not again.
    assert worker.run_due(app, [job]) == [] and len(runs) == 1


def test_a_job_runs_again_once_its_period_has_passed(app, app_context):
    runs = []
    job = worker.Job("quick", timedelta(seconds=1), lambda: runs.append(1))
    assert worker.run_due(app, [job]) == ["quick"]
    assert worker.run_due(app, [job]) == []
    time.sleep(1.1)
    assert worker.run_due(app, [job]) == ["quick"] and len(runs) == 2


def test_a_failing_job_is_recorded_and_the_others_still_run(app, app_context):
    def broken():
        raise RuntimeError("boom")

    ran = worker.run_due(app, [worker.Job("broken", timedelta(minutes=1), broken),
                               worker.Job("fine", timedelta(minutes=1), lambda: "ok")])
    assert ran == ["broken", "fine"]
    assert job_row("broken").last_error == "RuntimeError: boom"
    assert job_row("fine").last_summary == "ok"


def _insert_cpu(device_id, ages):
    now = utcnow()
    for age in ages:
        db.session.execute(text("INSERT INTO cpu_points (time, device_id, cpu_usage) VALUES (:t, :d, 1)"),
                           {"t": now - age, "d": device_id})
    db.session.commit()


def _times(table, device_id):
    return db.session.execute(text(f"SELECT time FROM {table} WHERE device_id = :d ORDER BY time"),
                              {"d": device_id}).scalars().all()


def test_retention_drops_old_chunks_and_nothing_newer(make, app_context, data_app):
    device = make.device(make.org())
    now = utcnow()
    _insert_cpu(device.id, [timedelta(days=1100), timedelta(days=1094), timedelta(hours=1)])
    # Availability reports read the data-collected points as long as the ping points.
    for age in (timedelta(days=1100), timedelta(days=3), timedelta(minutes=5)):
        db.session.execute(text("INSERT INTO data_collected_points (time, device_id, data_collected) "
                                "VALUES (:t, :d, 1)"), {"t": now - age, "d": device.id})
    db.session.commit()
    tables = retention.hypertables(db.session)
    assert {"cpu_points", "ping_points", "data_collected_points", "wifi_client_count_points"} <= set(tables)
    ages = retention.ages(tables, data_app.config)
    assert ages["cpu_points"] == timedelta(days=1095) and ages["data_collected_points"] == timedelta(days=1095)
    dropped = retention.drop_old_chunks(db.session, ages=ages, now=now)
    assert dropped["cpu_points"] == 1 and dropped["data_collected_points"] == 1
    kept = _times("cpu_points", device.id)
    assert [round((now - t) / timedelta(days=1)) for t in kept] == [1094, 0]
    assert len(_times("data_collected_points", device.id)) == 2


def test_retention_ages_can_be_set_per_table(data_app, app_context, monkeypatch):
    monkeypatch.setitem(data_app.config, "RETENTION_DAYS_BY_TABLE", {"ping_points": 30})
    monkeypatch.setitem(data_app.config, "RETENTION_DAYS", 365)
    ages = retention.ages(["ping_points", "cpu_points"], data_app.config)
    assert ages == {"ping_points": timedelta(days=30), "cpu_points": timedelta(days=365)}


def test_the_cli_runs_due_jobs_once(app, make, app_context):
    device = make.device(make.org())
    _insert_cpu(device.id, [timedelta(days=1200)])
    runner = app.test_cli_runner()
    result = runner.invoke(args=["worker", "--once", "--job", "retention", "--job", "wifi-sessions"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "ran retention, wifi-sessions"
    assert "job retention: 1 chunks dropped (cpu_points 1)" in result.output  # the job's log line
    db.session.expire_all()
    assert _times("cpu_points", device.id) == []
    assert "chunks dropped" in job_row("retention").last_summary
    again = runner.invoke(args=["worker", "--once", "--job", "retention"])
    assert again.output.splitlines()[-1] == "ran nothing (not due, or running elsewhere)"
    unknown = runner.invoke(args=["worker", "--once", "--job", "nope"])
    assert unknown.exit_code != 0 and "unknown job nope" in unknown.output


def test_every_default_job_runs(app, app_context, make):
    make.device(make.org(), management_ip="127.0.0.1")
    ran = worker.run_due(app, worker.default_jobs(app.config))
    assert ran == ["recovery-checks", "maintenance", "webhooks", "emails", "checks", "rollups", "retention",
                   "wifi-sessions", "accounts", "events"]
    errors = {name: job_row(name).last_error for name in ran}
    assert errors == dict.fromkeys(ran)
    assert job_row("checks").last_summary.startswith("2 automatic checks created; 2 checks")


def test_an_idle_worker_logs_what_happened_not_that_nothing_did(app, app_context, make, caplog):
    """The recovery checks (every 5 s) and the webhooks (every 10 s) log a line only when
    they did something; the job's record says when it last ran either way."""
    jobs = [job for job in worker.default_jobs(app.config) if job.name in ("recovery-checks", "webhooks")]
    with caplog.at_level("DEBUG", logger="monitoring.worker"):
        assert worker.run_due(app, jobs) == ["recovery-checks", "webhooks"]
    lines = [(record.levelname, record.getMessage()) for record in caplog.records]
    assert [level for level, _ in lines] == ["DEBUG", "DEBUG"]
    assert all("nothing to do" in message for _, message in lines), lines
    assert job_row("webhooks").last_summary is None and job_row("webhooks").last_finished_at is not None

    caplog.clear()
    device = make.device(make.org())
    db.session.execute(text("INSERT INTO check_requests (device_id) VALUES (:id)"), {"id": device.id})
    db.session.commit()
    db.session.execute(text("UPDATE worker_jobs SET last_started_at = NULL"))
    db.session.commit()
    with caplog.at_level("INFO", logger="monitoring.worker"):
        worker.run_due(app, jobs)
    assert [record.getMessage().split(":")[0] for record in caplog.records] == ["job recovery-checks"]


def test_the_accounts_job_deletes_expired_sessions_and_forgotten_login_data(app, app_context, make):
    from monitoring.services.accounts import sessions

    user = make.user()
    sessions.start(user=user)
    expired = sessions.start(user=user)
    db.session.execute(text("UPDATE browser_sessions SET expires_at = now() - interval '1 second' "
                            "WHERE key_digest = encode(sha256(convert_to(:key, 'UTF8')), 'hex')"), {"key": expired})
    db.session.execute(text("""
        INSERT INTO login_throttle (key, failures, last_failure_at, locked_until) VALUES
            ('user:recent', 3, now(), NULL),
            ('user:forgotten', 3, now() - interval '901 seconds', NULL),
            ('user:waiting', 9, now() - interval '901 seconds', now() + interval '1 minute')
    """))
    db.session.execute(text("""
        INSERT INTO login_known_addresses (user_id, address, last_login_at) VALUES
            (:user, '10.0.0.1', now() - interval '89 days'), (:user, '10.0.0.2', now() - interval '91 days')
    """), {"user": user.id})
    db.session.commit()
    assert worker.run_due(app, [job for job in worker.default_jobs(app.config) if job.name == "accounts"]) == [
        "accounts"]
    assert job_row("accounts").last_summary == (
        "deleted 1 expired browser sessions, 1 forgotten login counts and 1 known login addresses")
    assert db.session.execute(text("SELECT count(*) FROM browser_sessions")).scalar() == 1
    assert set(db.session.execute(text("SELECT key FROM login_throttle")).scalars()) == {"user:recent", "user:waiting"}
    assert list(db.session.execute(text("SELECT address FROM login_known_addresses")).scalars()) == ["10.0.0.1"]


@pytest.mark.parametrize("pid_alive", [True, False])
def test_the_loop_stops_with_the_process_it_was_started_beside(app, app_context, pid_alive):
    process = subprocess.Popen(["sleep", "30"])
    if not pid_alive:
        process.kill()
        process.wait()
    stop = threading.Event()
    thread = threading.Thread(target=worker.run_forever, args=(app, []),
                              kwargs={"tick": 0.05, "stop_with": process.pid, "stop": stop})
    thread.start()
    thread.join(timeout=0.5)
    assert thread.is_alive() is pid_alive
    stop.set()
    thread.join(timeout=2)
    assert not thread.is_alive()
    process.kill()
    process.wait()


def test_the_loop_outlives_a_database_outage(caplog):
    """With the database unreachable every pass fails; the worker logs it and keeps going,
    so the jobs resume by themselves once the database is back."""
    import config
    from monitoring import create_app

    class Unreachable(config.TestConfig):
        SQLALCHEMY_DATABASE_URI = "postgresql+psycopg2://postgres@127.0.0.1:1/nowhere"

    app = create_app(Unreachable)
    stop = threading.Event()
    thread = threading.Thread(target=worker.run_forever, args=(app, [worker.Job("probe", timedelta(minutes=1), str)]),
                              kwargs={"tick": 0.05, "stop": stop})
    with caplog.at_level("WARNING", logger="monitoring"):
        thread.start()
        time.sleep(0.5)
        assert thread.is_alive()
        stop.set()
        thread.join(timeout=2)
    assert not thread.is_alive()
    warnings = [r.getMessage() for r in caplog.records if "database unavailable" in r.getMessage()]
    assert len(warnings) >= 2 and "connection" in warnings[0] and "next try in 0.05s" in warnings[0]
