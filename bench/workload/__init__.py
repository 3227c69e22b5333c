"""The standard benchmark workload (README.md beside this file): the device sample every
benchmark posts, and the wrk script that posts the very same bodies."""
from pathlib import Path

from bench.workload.payload import make_payload

# wrk -s WRK_SCRIPT http://127.0.0.1:PORT -- DEVICES_LUA SEQ0 (usage at the top of the script)
WRK_SCRIPT = Path(__file__).with_name("ingest.lua")

__all__ = ["WRK_SCRIPT", "make_payload"]
