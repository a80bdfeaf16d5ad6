"""User errors: one `error: ...` line on stderr, exit status 2, never a traceback."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

import pytest
from click.testing import CliRunner

from agentops_otel.cli import main
from agentops_otel.store import SCHEMA_VERSION, LocalStore
from tests.test_store_sample import support_session


@pytest.fixture
def store(tmp_path):
    path = tmp_path / "traces.db"
    with LocalStore(path) as s:
        for n in (1, 2, 3):
            s.write(support_session(n, start_offset_s=n))
    return path


def _bad_files(tmp_path):
    random_bytes = tmp_path / "random.db"
    random_bytes.write_bytes(os.urandom(2048))
    foreign = tmp_path / "foreign.db"
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE invoices (id INTEGER)")
    conn.commit()
    conn.close()
    newer = tmp_path / "newer.db"
    LocalStore(newer).close()
    conn = sqlite3.connect(newer)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    conn.close()
    return {"random": random_bytes, "foreign": foreign, "newer": newer}


def _assert_user_error(result, *fragments):
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["replay", "nope"], ["no session or trace id starts with 'nope'", "agentops-otel sessions"]),
        (["replay", "sess-000"], ["matches 3 sessions", "sess-0001-7f3a", "sess-0003-7f3a"]),
        (["sessions", "--since", "yesterday"], ["'--since': 'yesterday' is neither a duration"]),
        (["sessions", "--since", "5 parsecs"], ["--since"]),
        (["sessions", "--status", "failed"], ["--status", "sessions --help"]),
        (["sessions", "--limit", "0"], ["--limit"]),
        (["replay"], ["Missing argument 'SESSION_ID'", "replay --help"]),
        (["sessions", "--bogus"], ["No such option", "--bogus"]),
        (["nosuchcommand"], ["No such command"]),
        (["replay", "sess-0001", "--width", "3"], ["--width"]),
    ],
)
def test_user_errors_print_one_line_and_exit_2(store, args, fragments):
    result = CliRunner().invoke(main, [*args, "--source", str(store)] if args[0] != "nosuchcommand" else args)
    _assert_user_error(result, *fragments)


@pytest.mark.parametrize("kind", ["random", "foreign", "newer"])
@pytest.mark.parametrize("command", [["sessions"], ["replay", "abc"]])
def test_unreadable_or_foreign_store_files_are_one_line_errors(tmp_path, kind, command):
    path = _bad_files(tmp_path)[kind]
    result = CliRunner().invoke(main, [*command, "--source", f"store:{path}"])
    _assert_user_error(result, str(path))


def test_a_source_spec_of_no_known_form_is_a_one_line_error(tmp_path):
    result = CliRunner().invoke(main, ["sessions", "--source", "carrier-pigeon"])
    _assert_user_error(result, "cannot tell what kind of source")


def test_an_html_target_that_cannot_be_written_is_a_one_line_error(store, tmp_path):
    (tmp_path / "a-file").write_text("not a directory")
    target = tmp_path / "a-file" / "out.html"
    result = CliRunner().invoke(main, ["replay", "sess-0001", "--source", str(store), "--html", str(target)])
    assert result.exit_code == 2 and result.stderr.startswith("error: ") and len(result.stderr.splitlines()) == 1


def test_the_installed_command_reports_errors_without_a_traceback(tmp_path):
    bad = _bad_files(tmp_path)["random"]
    done = subprocess.run(
        [sys.executable, "-c", "from agentops_otel.cli import main; main()", "replay", "x", "--source", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("error: ") and "Traceback" not in done.stderr
    assert len(done.stderr.splitlines()) == 1


def test_the_bare_command_prints_the_readable_help_not_an_error_line():
    result = CliRunner().invoke(main, [])
    assert result.exit_code == 2
    assert not result.stderr.startswith("error: ")
    lines = result.stderr.splitlines()
    assert lines[0].startswith("Usage: ")
    assert any(line.strip().startswith("sessions") for line in lines)
    assert "Commands:" in lines
