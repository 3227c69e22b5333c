"""Sending notification e-mails from the outbox (``email_deliveries``, one row per
notification row, filled by a trigger on ``notifications``), and the outbox as superusers
see it.

Each run of the worker's ``emails`` job looks at the recipients with a due row, decides
with ``email_plan`` what goes out now and in which messages, and sends each message over
one SMTP connection. Retries and their back-off are those of the webhook outbox
(``outbox``).

At most once. A message's rows are marked ``sending`` (and their attempt counted) in a
committed step before the SMTP conversation, and ``sent`` in the step right after the
server accepts it. A row still ``sending`` when a run starts was being sent by a worker
that stopped (killed, its host lost) between those two steps: the server may or may not
have accepted it, and nothing can tell. It is marked ``failed`` and never sent again, so
that nobody receives an e-mail twice; the notification itself is in the API either way.
Only the job's lock (one run at a time, ``monitoring/worker.py``) makes "still sending at
the start" mean "interrupted", so this runs only as that job (or alone, in tests).
A connection lost while the server was taking the message is the same unknown, and
settled the same way. Refusals the SMTP server answers (4xx; a 5xx is final), and
connections that fail before the message was handed over, are retried as usual.
"""
from __future__ import annotations

import smtplib
import ssl
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY

from sqlalchemy import func, select, update

from monitoring.extensions import db
from monitoring.models import Device, EmailDelivery, Notification, User, utcnow
from monitoring.pagination import paginate
from monitoring.services.notifications import email_messages, email_plan, outbox

INTERRUPTED = "it may have been received, so it is not sent again"
STOPPED = f"the worker stopped while this e-mail was being sent: {INTERRUPTED}"
NO_SERVER = "no SMTP server is configured (EMAIL_HOST)"
NO_ADDRESS = "the recipient has no e-mail address, or is no longer active"


@dataclass(frozen=True)
class Policy:
    host: str  # empty: no e-mail is sent
    port: int
    use_tls: bool  # STARTTLS
    use_ssl: bool  # TLS from the first byte
    user: str
    password: str
    timeout: float  # seconds, for each step of the SMTP conversation
    max_attempts: int
    retry_base: timedelta
    retry_max: timedelta
    collapse: timedelta
    batch: timedelta
    site: email_messages.Site
    recipients_per_run: int = 200
    tls: ssl.SSLContext = field(default_factory=ssl.create_default_context)

    @classmethod
    def from_config(cls, config) -> Policy:
        """The policy the settings (``EMAIL_*``, ``SITE_*``) describe."""
        if config["EMAIL_USE_TLS"] and config["EMAIL_USE_SSL"]:
            raise ValueError("EMAIL_USE_TLS and EMAIL_USE_SSL exclude each other: choose one")
        return cls(
            host=config["EMAIL_HOST"], port=config["EMAIL_PORT"], use_tls=config["EMAIL_USE_TLS"],
            use_ssl=config["EMAIL_USE_SSL"], user=config["EMAIL_HOST_USER"], password=config["EMAIL_HOST_PASSWORD"],
            timeout=config["EMAIL_TIMEOUT_SECONDS"], max_attempts=config["EMAIL_MAX_ATTEMPTS"],
            retry_base=timedelta(seconds=config["EMAIL_RETRY_BASE_SECONDS"]),
            retry_max=timedelta(seconds=config["EMAIL_RETRY_MAX_SECONDS"]),
            collapse=timedelta(seconds=config["EMAIL_COLLAPSE_SECONDS"]),
            batch=timedelta(seconds=config["EMAIL_BATCH_INTERVAL"]),
            site=email_messages.Site.from_config(config),
        )

    def delay(self, attempts: int) -> timedelta:
        return outbox.backoff(attempts, base=self.retry_base, most=self.retry_max)


@dataclass
class EmailSummary:
    messages: int = 0  # e-mails the server accepted
    sent: int = 0  # notifications they told
    retrying: int = 0
    given_up: int = 0
    skipped: int = 0
    interrupted: int = 0

    def __str__(self) -> str:
        return (f"{self.messages} e-mails sent ({self.sent} notifications), {self.retrying} to retry, "
                f"{self.given_up} given up, {self.skipped} skipped, {self.interrupted} interrupted")

    @property
    def is_empty(self) -> bool:
        return not (self.messages or self.retrying or self.given_up or self.skipped or self.interrupted)


class ConnectionFailed(Exception):
    """The SMTP server could not be reached or talked to: nothing more is sent this run."""


class Unknown(ConnectionFailed):
    """The connection failed while the server was taking the message: it may have been
    accepted, so it is not sent again."""


class MessageRefused(Exception):
    """The server refused this message; ``permanent`` for a 5xx answer."""

    def __init__(self, reason: str, *, permanent: bool):
        super().__init__(reason)
        self.permanent = permanent


class Mailer:
    """One SMTP connection for a run, opened at the first message."""

    def __init__(self, policy: Policy):
        self.policy = policy
        self.smtp: smtplib.SMTP | None = None

    def _open(self) -> smtplib.SMTP:
        policy = self.policy
        if policy.use_ssl:
            smtp = smtplib.SMTP_SSL(policy.host, policy.port, timeout=policy.timeout, context=policy.tls)
        else:
            smtp = smtplib.SMTP(policy.host, policy.port, timeout=policy.timeout)
        try:
            if policy.use_tls:
                smtp.starttls(context=policy.tls)
            if policy.user:
                smtp.login(policy.user, policy.password)
        except BaseException:
            smtp.close()
            raise
        return smtp

    def send(self, email: EmailMessage) -> None:
        """Hand ``email`` to the server. Raises ``MessageRefused``, ``ConnectionFailed``
        or, when the connection failed while the server was taking the message,
        ``Unknown``."""
        handing_over = False
        try:
            self.smtp = self.smtp or self._open()
            self.smtp.ehlo_or_helo_if_needed()
            code, text = self.smtp.mail(email["From"])
            if code != 250:
                self.smtp.rset()
                raise MessageRefused(_answer(code, text), permanent=code >= 500)
            code, text = self.smtp.rcpt(email["To"])
            if code not in (250, 251):
                self.smtp.rset()
                raise MessageRefused(_answer(code, text), permanent=code >= 500)
            handing_over = True
            code, text = self.smtp.data(email.as_bytes(policy=SMTP_POLICY))
            if code != 250:
                raise MessageRefused(_answer(code, text), permanent=code >= 500)
        except smtplib.SMTPDataError as exc:  # DATA itself refused
            raise MessageRefused(_answer(exc.smtp_code, exc.smtp_error), permanent=exc.smtp_code >= 500) from exc
        except (smtplib.SMTPException, OSError) as exc:  # refused, reset, timed out, TLS errors, login
            self.close()
            reason = (_answer(exc.smtp_code, exc.smtp_error) if isinstance(exc, smtplib.SMTPResponseException)
                      else f"{type(exc).__name__}: {exc}"[:500])
            raise (Unknown if handing_over else ConnectionFailed)(reason) from exc

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (smtplib.SMTPException, OSError):
                self.smtp.close()
            self.smtp = None


def _answer(code: int, text: bytes | str) -> str:
    text = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"SMTP {code}: {text}"[:500]


# --- one run ---------------------------------------------------------------------------

def deliver_due(*, policy: Policy, now: datetime | None = None) -> EmailSummary:
    """One run: settle interrupted sends, then send what is due (see the module's rules)."""
    now = now or utcnow()
    summary = EmailSummary(interrupted=_give_up_interrupted())
    if not policy.host:
        summary.skipped = _finish_due(now, state="skipped", reason=NO_SERVER)
        db.session.commit()
        return summary
    mailer = Mailer(policy)
    try:
        for recipient_id in _due_recipients(now, limit=policy.recipients_per_run):
            if not _deliver_to(recipient_id, mailer=mailer, policy=policy, now=now, summary=summary):
                break
    finally:
        mailer.close()
    return summary


def _give_up_interrupted() -> int:
    count = db.session.execute(
        update(EmailDelivery).where(EmailDelivery.state == "sending")
        .values(state="failed", next_attempt_at=None, last_error=STOPPED)
    ).rowcount
    db.session.commit()
    return count


def _finish_due(now: datetime, *, state: str, reason: str, recipient_id: uuid.UUID | None = None) -> int:
    """Mark the due rows (of one recipient, or all) finished unsent."""
    statement = update(EmailDelivery).where(EmailDelivery.state == "pending")
    if recipient_id is None:
        statement = statement.where(EmailDelivery.next_attempt_at <= now)
    else:
        statement = statement.where(EmailDelivery.notification_id.in_(
            select(Notification.id).where(Notification.recipient_id == recipient_id)))
    return db.session.execute(statement.values(state=state, next_attempt_at=None, last_error=reason)).rowcount


def _due_recipients(now: datetime, *, limit: int) -> list[uuid.UUID]:
    return list(db.session.scalars(
        select(Notification.recipient_id).join(EmailDelivery, EmailDelivery.notification_id == Notification.id)
        .where(EmailDelivery.state == "pending", EmailDelivery.next_attempt_at <= now)
        .distinct().limit(limit)
    ))


def _pending_of(recipient_id: uuid.UUID) -> list[email_plan.Pending]:
    """All the recipient's pending rows, due or not: a due problem may be joined by a
    recovery that is not due yet."""
    rows = db.session.execute(
        select(EmailDelivery.id, EmailDelivery.mode, EmailDelivery.created.label("queued"),
               EmailDelivery.next_attempt_at.label("not_before"), EmailDelivery.attempts, Notification.device_id,
               Notification.metric_id, Notification.type, Notification.timestamp, Notification.message,
               Device.name.label("device_name"))
        .join(Notification, Notification.id == EmailDelivery.notification_id)
        .outerjoin(Device, Device.id == Notification.device_id)
        .where(Notification.recipient_id == recipient_id, EmailDelivery.state == "pending")
    ).all()
    return [email_plan.Pending(**row._asdict()) for row in rows]


def _last_digest_at(recipient_id: uuid.UUID) -> datetime | None:
    return db.session.scalar(
        select(func.max(EmailDelivery.sent_at)).join(Notification, Notification.id == EmailDelivery.notification_id)
        .where(Notification.recipient_id == recipient_id, EmailDelivery.mode == "digest",
               EmailDelivery.state == "sent")
    )


def _deliver_to(recipient_id: uuid.UUID, *, mailer: Mailer, policy: Policy, now: datetime,
                summary: EmailSummary) -> bool:
    """Send what is due to one recipient; False when the connection failed (stop the run)."""
    recipient = db.session.get(User, recipient_id)
    if recipient is None or not recipient.email or not recipient.is_active:
        summary.skipped += _finish_due(now, state="skipped", reason=NO_ADDRESS, recipient_id=recipient_id)
        db.session.commit()
        return True
    plan = email_plan.plan(_pending_of(recipient_id), now=now, last_digest_at=_last_digest_at(recipient_id),
                           collapse=policy.collapse, batch=policy.batch)
    for row_id, when in plan.postponed.items():
        db.session.execute(update(EmailDelivery).where(EmailDelivery.id == row_id).values(next_attempt_at=when))
    db.session.commit()
    for message in plan.messages:
        if not _send(message, to=recipient.email, mailer=mailer, policy=policy, now=now, summary=summary):
            return False
    return True


def _send(message: list[email_plan.Item], *, to: str, mailer: Mailer, policy: Policy, now: datetime,
          summary: EmailSummary) -> bool:
    """Send one message, its rows marked ``sending`` first and settled after; False when
    the connection failed."""
    rows = [row for item in message for row in item.rows]
    ids = [row.id for row in rows]
    email = email_messages.compose(message, to=to, site=policy.site, now=now)
    db.session.execute(update(EmailDelivery).where(EmailDelivery.id.in_(ids)).values(
        state="sending", attempts=EmailDelivery.attempts + 1, message_id=email["Message-ID"]))
    db.session.commit()
    try:
        mailer.send(email)
    except MessageRefused as exc:
        _settle_failure(rows, str(exc), policy=policy, now=now, summary=summary, permanent=exc.permanent)
        return True
    except ConnectionFailed as exc:
        unknown = isinstance(exc, Unknown)
        reason = f"{exc} while the server was taking it: {INTERRUPTED}" if unknown else str(exc)
        _settle_failure(rows, reason, policy=policy, now=now, summary=summary, permanent=unknown)
        return False
    db.session.execute(update(EmailDelivery).where(EmailDelivery.id.in_(ids)).values(
        state="sent", sent_at=now, next_attempt_at=None, last_error=None))
    db.session.commit()
    summary.messages += 1
    summary.sent += len(ids)
    return True


def _settle_failure(rows: list[email_plan.Pending], error: str, *, policy: Policy, now: datetime,
                    summary: EmailSummary, permanent: bool) -> None:
    for row in rows:
        attempts = row.attempts + 1
        if permanent or attempts >= policy.max_attempts:
            values = {"state": "failed", "next_attempt_at": None}
            summary.given_up += 1
        else:
            values = {"state": "pending", "next_attempt_at": now + policy.delay(attempts)}
            summary.retrying += 1
        db.session.execute(update(EmailDelivery).where(EmailDelivery.id == row.id).values(last_error=error, **values))
    db.session.commit()


def prune(*, older_than: timedelta, now: datetime | None = None) -> int:
    """Forget finished deliveries (sent, given up on or skipped) older than this."""
    return outbox.prune_finished(EmailDelivery, older_than=older_than, now=now)


# --- the outbox in the API (superusers) --------------------------------------------------

def list_page(*, state: str | None = None, page=None, page_size=None) -> dict:
    """The e-mail outbox, newest first."""
    statement = select(EmailDelivery)
    if state is not None:
        statement = statement.where(EmailDelivery.state == state)
    return paginate(statement.order_by(EmailDelivery.created.desc(), EmailDelivery.id), page=page,
                    page_size=page_size)
