"""bench/ingest.py splits the database's CPU per sample by kind of process: a process
alive throughout counts what it used meanwhile, one started meanwhile counts whole, one
that ended counts (through the postmaster's children's times) less what it had used
before."""
from __future__ import annotations

import os

import pytest

from bench.common import cpu_delta_by_kind, postgres_cpu_by_kind


def test_each_kind_counts_what_it_used_during_the_run():
    before = {"ended": 1.0, 10: ("client backends", 5.0), 11: ("checkpointer", 0.5), 12: ("autovacuum", 2.0)}
    after = {"ended": 3.5, 10: ("client backends", 9.0), 11: ("checkpointer", 0.75), 13: ("autovacuum", 1.25),
             14: ("client backends", 0.5)}
    # 12 ended: of the 2.5 s the postmaster reaped, 2.0 s were used before the run.
    assert cpu_delta_by_kind(before, after) == pytest.approx(
        {"ended": 0.5, "client backends": 4.5, "checkpointer": 0.25, "autovacuum": 1.25})


def test_a_process_tree_is_read_from_proc():
    snapshot = postgres_cpu_by_kind(os.getppid())
    assert snapshot[os.getpid()][0] == "client backends"  # no PostgreSQL title: the rest
    assert snapshot[os.getpid()][1] > 0
    assert snapshot["ended"] >= 0
