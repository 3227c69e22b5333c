from sqlalchemy import select

from monitoring.extensions import db
from monitoring.models import User


def test_create_superuser_creates_then_updates(app, app_context):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["create-superuser", "--username", "root", "--password", "pw-123456", "--email", "r@x.io"]
    )
    assert result.exit_code == 0, result.output
    assert "created superuser root" in result.output
    user = db.session.execute(select(User).where(User.username == "root")).scalar_one()
    assert user.is_superuser and user.email == "r@x.io"
    first_hash = user.password_hash
    assert first_hash.startswith("pbkdf2:") and "pw-123456" not in first_hash

    result = runner.invoke(args=["create-superuser", "--username", "root", "--password", "other-pass"])
    assert result.exit_code == 0 and "updated superuser root" in result.output
    db.session.expire_all()
    assert db.session.scalar(select(User.password_hash).where(User.username == "root")) != first_hash


def test_create_superuser_requires_username_and_password(app):
    result = app.test_cli_runner().invoke(args=["create-superuser", "--username", "x"])
    assert result.exit_code != 0
    assert "--password" in result.output
