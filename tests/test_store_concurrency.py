"""Several processes write one store at once (creating it too) while another reads it."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from agentops_otel.sources._store import StoreSource
from agentops_otel.store import LocalStore

WRITERS = 3
SESSIONS_PER_WRITER = 150

# Each writer waits for the go file, so all of them create the schema and write at the same moment.
_WRITER = """
import sys, time
from pathlib import Path
from agentops_otel.store import LocalStore
from tests.test_store_sample import support_session

path, go, first = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
while not go.exists():
    time.sleep(0.005)
with LocalStore(path) as store:
    for n in range(first, first + {count}):
        store.write(support_session(n, start_offset_s=n, fail=n % 2 == 0))
"""


def test_processes_writing_at_once_lose_nothing_while_a_reader_reads(tmp_path):
    path, go = tmp_path / "traces.db", tmp_path / "go"
    script = _WRITER.format(count=SESSIONS_PER_WRITER)
    root = Path(__file__).resolve().parent.parent
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(path), str(go), str(1 + i * SESSIONS_PER_WRITER)],
            cwd=root,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(WRITERS)
    ]
    go.touch()
    source = StoreSource(path)
    seen = 0
    reads = 0
    while any(w.poll() is None for w in writers):
        listed = source.sessions()
        assert len(listed) >= seen  # never goes backwards, never half-written
        for summary in listed:
            assert summary.llm_calls == 1 and summary.end_state in ("Fail", "Success")
        seen = len(listed)
        reads += 1
        time.sleep(0.01)
    for w in writers:
        _, errors = w.communicate()
        assert w.returncode == 0, errors
    total = WRITERS * SESSIONS_PER_WRITER
    listed = source.sessions()
    assert len(listed) == total
    assert [s.start_ns for s in listed] == sorted((s.start_ns for s in listed), reverse=True)
    with LocalStore(path, create=False) as store:
        assert store.span_count() == total * 4
    assert len(source.sessions(status="Fail")) == total // 2
    assert reads > 0


def test_many_processes_creating_one_new_store_at_once_never_see_it_half_made(tmp_path):
    # The schema check reads the store's id and its tables in one snapshot: a process that looked between
    # another's CREATE TABLE and its commit used to take the new store for another program's database.
    import subprocess
    import sys

    path = tmp_path / "new.db"
    code = (
        "import sys\n"
        "from agentops_otel.store import LocalStore\n"
        "for _ in range(40):\n"
        "    LocalStore(sys.argv[1]).close()\n"
    )
    procs = [subprocess.Popen([sys.executable, "-c", code, str(path)], stderr=subprocess.PIPE) for _ in range(6)]
    errors = [p.communicate()[1].decode() for p in procs]
    assert [p.returncode for p in procs] == [0] * 6, errors


def test_a_store_opened_while_another_process_holds_the_new_files_write_lock_waits_for_it(tmp_path):
    # SQLite refuses a journal-mode change at once (no busy handler) while another connection holds the
    # write lock: a writer opening the store right then must wait like any other statement, not fail.
    import sqlite3
    import threading

    path = tmp_path / "new.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    opened: list[object] = []

    def open_store() -> None:
        try:
            with LocalStore(path) as store:
                opened.append(store.span_count())
        except Exception as exc:  # recorded for the assertion below
            opened.append(exc)

    opener = threading.Thread(target=open_store)
    opener.start()
    opener.join(0.5)
    assert opener.is_alive(), f"the store gave up while the lock was held: {opened}"
    holder.execute("COMMIT")
    holder.close()
    opener.join(30)
    assert opened == [0]
