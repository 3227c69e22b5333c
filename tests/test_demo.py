from sqlalchemy import func, select, text

from monitoring.extensions import db
from monitoring.models import Device, DeviceData, DeviceMonitoring, Organization, WifiSession


def test_seed_demo_writes_through_the_ingest_path_once(app, app_context):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-demo", "--devices", "3", "--days", "1"])
    assert result.exit_code == 0, result.output
    assert "manager login: demo-manager / " in result.output
    org = db.session.scalar(select(Organization).where(Organization.slug == "demo"))
    device_ids = db.session.scalars(select(Device.id).where(Device.organization_id == org.id)).all()
    assert len(device_ids) == 3
    # a day of 15-minute samples plus the real-time one, per device
    samples = db.session.scalar(text("SELECT count(*) FROM cpu_points WHERE device_id = ANY(:ids)"),
                                {"ids": list(device_ids)})
    assert samples == 3 * (24 * 4 + 1)
    assert db.session.scalar(select(func.count()).select_from(DeviceData)) == 3
    statuses = set(db.session.scalars(
        select(DeviceMonitoring.status).where(DeviceMonitoring.device_id.in_(device_ids))))
    assert statuses <= {"ok", "problem"} and statuses  # the last sample is real time: health is set
    assert db.session.scalar(select(func.count()).select_from(WifiSession)) > 0

    again = runner.invoke(args=["seed-demo", "--devices", "3", "--days", "1"])
    assert again.exit_code == 0 and "exists already" in again.output
    assert db.session.scalar(select(func.count()).select_from(Device)) == 3
