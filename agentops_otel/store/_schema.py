"""The store's SQLite schema, and opening a file safely: WAL, busy timeout, version and ownership checks.

A store is recognised by `PRAGMA application_id` (so another program's database is never written to)
and versioned by `PRAGMA user_version`. Several processes may open and create the same file at once:
creation happens inside `BEGIN IMMEDIATE`, and whoever comes second finds the schema there.
"""

from __future__ import annotations

import errno
import shutil
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import StoreError

SCHEMA_VERSION = 1
APPLICATION_ID = 0x414F_4F54  # "AOOT": marks a file as an agentops-otel store
DEFAULT_BUSY_TIMEOUT_S = 30.0


class StoreLocked(StoreError):
    """Another process held the store's write lock for longer than our busy timeout: try again later."""


# `sessions` has one row per trace worth listing (it has session.id or GenAI/agent spans), kept up to
# date from its spans as they arrive; totals (tokens, cost) are summed from the spans when listed.
# No semicolons inside statements: the script is split on them.
_DDL = """
CREATE TABLE spans (
    trace_id TEXT NOT NULL,
    span_id TEXT NOT NULL,
    parent_span_id TEXT,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    start_ns INTEGER NOT NULL,
    end_ns INTEGER,
    status_code TEXT NOT NULL,
    status_message TEXT,
    attributes TEXT NOT NULL,
    events TEXT NOT NULL,
    links TEXT NOT NULL,
    resource TEXT NOT NULL,
    scope TEXT,
    session_id TEXT,
    step_kind TEXT NOT NULL,
    failed INTEGER NOT NULL,
    input_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    cache_read_tokens INTEGER NOT NULL,
    cache_write_tokens INTEGER NOT NULL,
    reasoning_tokens INTEGER NOT NULL,
    cost_usd REAL,
    priced INTEGER NOT NULL,
    UNIQUE (trace_id, span_id)
);
CREATE INDEX spans_by_session ON spans (session_id);
CREATE INDEX spans_by_start ON spans (start_ns);

CREATE TABLE sessions (
    trace_id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL,
    root_span_id TEXT,
    name TEXT,
    start_ns INTEGER NOT NULL,
    end_ns INTEGER,
    end_state TEXT,
    end_state_explicit INTEGER NOT NULL DEFAULT 0,
    end_state_reason TEXT,
    tags TEXT NOT NULL DEFAULT '[]',
    service TEXT
);
CREATE INDEX sessions_by_session_id ON sessions (session_id);
CREATE INDEX sessions_by_start ON sessions (start_ns);
CREATE INDEX sessions_by_end_state ON sessions (end_state, start_ns);
"""


@contextmanager
def translated_errors(path: Path, doing: str) -> Iterator[None]:
    """Turn sqlite3 errors into one StoreError that names the file and says what to do."""
    try:
        yield
    except (StoreError, sqlite3.IntegrityError, sqlite3.ProgrammingError, sqlite3.InterfaceError):
        raise  # our own mistakes, not the file's: they must not read as "not a store"
    except sqlite3.OperationalError as exc:
        text = str(exc)
        if "disk is full" in text:  # SQLITE_FULL: nothing is wrong with the file
            raise _disk_full(path, doing) from exc
        if "disk I/O error" in text:
            if _free_bytes(path) < 1024 * 1024:  # SQLite cannot grow its WAL index: the disk is full
                raise _disk_full(path, doing) from exc
            raise StoreError(
                f"the disk holding {path} failed while {doing} ({text}): check the disk; the store is kept"
            ) from exc
        if "locked" in text or "busy" in text:
            raise StoreLocked(
                f"{path} stayed locked by another process while {doing}; try again, or stop the process holding it"
            ) from exc
        if "unable to open" in text or "readonly" in text:
            raise StoreError(
                f"cannot open {path} while {doing} ({text}): check that its directory exists and is "
                "writable, or set AGENTOPS_OTEL_STORE_PATH to another file"
            ) from exc
        raise _unreadable(path, exc) from exc
    except sqlite3.DatabaseError as exc:
        raise _unreadable(path, exc) from exc
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise _disk_full(path, doing) from exc
        raise


def _free_bytes(path: Path) -> int:
    try:
        return shutil.disk_usage(path.parent if path.parent.exists() else Path.cwd()).free
    except OSError:
        return 1 << 62  # unknown: not taken for a full disk


def _disk_full(path: Path, doing: str) -> StoreError:
    return StoreError(
        f"the disk holding {path} is full while {doing}: free some space (the store itself is kept and "
        "fine), or set AGENTOPS_OTEL_STORE_PATH to a file on another disk"
    )


def _unreadable(path: Path, exc: Exception) -> StoreError:
    return StoreError(
        f"{path} is not a readable agentops-otel store ({exc}): move it aside or delete it, or set "
        "AGENTOPS_OTEL_STORE_PATH to another file"
    )


def connect(path: Path, *, create: bool, busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S) -> sqlite3.Connection:
    """Open `path` as a store; with `create`, make the file and schema when absent or empty.

    Returns a connection in autocommit mode (transactions are explicit), usable from any thread
    (callers serialise access). Raises StoreError for foreign, newer, corrupt or unopenable files.
    """
    if not create and not path.is_file():
        raise StoreError(f"no store at {path}: record a session first (e.g. `agentops-otel demo`)")
    with translated_errors(path, "opening it"):
        if create and not path.parent.is_dir():
            _make_directory(path.parent)
        conn = sqlite3.connect(path, timeout=busy_timeout_s, isolation_level=None, check_same_thread=False)
        try:
            _prepare(conn, path, create=create, busy_timeout_s=busy_timeout_s)
        except BaseException:
            conn.close()
            raise
    return conn


def _make_directory(directory: Path) -> None:
    """Create the store's folder with a .gitignore, so recorded prompts are not committed by accident
    (as .pytest_cache and .ruff_cache do)."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        ignore = directory / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# Created by agentops-otel: recorded traces stay out of version control.\n*\n")
    except OSError as exc:
        raise StoreError(
            f"cannot create the store folder {directory} ({exc.strerror or exc}): set "
            "AGENTOPS_OTEL_STORE_PATH to a writable place"
        ) from exc


def schema_exists(conn: sqlite3.Connection) -> bool:
    return conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID


def _foreign_tables(conn: sqlite3.Connection) -> list[str] | None:
    """None for one of our stores, else the tables it holds (none: a new or empty file).

    Both reads in one transaction: another process may be creating the schema right now, and it must
    not be seen half-way (tables without our id).
    """
    conn.execute("BEGIN")
    try:
        if schema_exists(conn):  # reading the header also rejects files that are not SQLite at all
            return None
        return [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    finally:
        if conn.in_transaction:  # a failed read (a full disk) may have ended it: keep that error, not COMMIT's
            conn.execute("COMMIT")


def _use_wal(conn: sqlite3.Connection, timeout_s: float) -> None:
    """Switch the file to WAL, waiting for other processes as long as any other statement would.

    SQLite answers a journal-mode change with "database is locked" at once, without its busy handler,
    when another process holds the write lock (waiting could deadlock inside SQLite): several
    processes creating one store at the same moment hit that, so the wait is ours.
    """
    deadline = time.monotonic() + timeout_s
    pause = 0.001
    while True:
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            text = str(exc)
            if ("locked" not in text and "busy" not in text) or time.monotonic() >= deadline:
                raise
            time.sleep(pause)
            pause = min(pause * 2, 0.05)


def _prepare(conn: sqlite3.Connection, path: Path, *, create: bool, busy_timeout_s: float) -> None:
    tables = _foreign_tables(conn)
    if tables is not None:
        if tables:
            raise StoreError(
                f"{path} is an SQLite database of another program (tables: {', '.join(tables[:5])}), "
                "not an agentops-otel store: choose another file (AGENTOPS_OTEL_STORE_PATH or --source)"
            )
        if not create:
            return  # an empty file: a store with nothing recorded yet
        _use_wal(conn, busy_timeout_s)
        conn.execute("BEGIN IMMEDIATE")
        try:
            if not schema_exists(conn):  # another process may have created it while we waited
                # One statement at a time: executescript would commit the open transaction.
                for statement in _DDL.split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:  # a failed COMMIT may already have ended it
                conn.execute("ROLLBACK")
            raise
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{path} was written by a newer agentops-otel (store schema {version}, this version reads "
            f"up to {SCHEMA_VERSION}): upgrade with `pip install -U agentops-opentelemetry`"
        )
    if create:
        _use_wal(conn, busy_timeout_s)
    # WAL + NORMAL: a crash of the application loses nothing committed; only power loss could.
    conn.execute("PRAGMA synchronous = NORMAL")
