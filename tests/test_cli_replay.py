"""`agentops-otel replay`: timeline by id or prefix, JSON, and the HTML page."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

import pytest
from click.testing import CliRunner

from agentops_otel.cli import main
from agentops_otel.model import build_session
from agentops_otel.replay import render_timeline
from agentops_otel.store import LocalStore
from tests.test_store_sample import support_session


@pytest.fixture
def store(tmp_path):
    path = tmp_path / "traces.db"
    with LocalStore(path) as s:
        s.write(support_session(1, start_offset_s=1))
        s.write(support_session(2, fail=False, start_offset_s=2))
    return path


def _run(*args, env=None):
    result = CliRunner(env=env).invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result


@pytest.mark.parametrize("ident", ["sess-0001", "sess-0001-7f3a", "00000001", "00000001" + "ab" * 12])
def test_replay_prints_the_timeline_of_a_session_named_by_id_or_prefix(store, ident):
    out = _run("replay", ident, "--source", str(store), "--width", "100", "--no-color").stdout
    expected = render_timeline(build_session(support_session(1, start_offset_s=1)), color=False, width=100)
    assert out == expected + "\n"


def test_width_follows_the_terminal_columns(store):
    out = _run("replay", "sess-0001", "--source", str(store), "--no-color", env={"COLUMNS": "64"}).stdout
    assert max(len(line) for line in out.splitlines()) <= 64
    assert "<- caused the failure" in out


def test_colour_can_be_forced_for_pagers(store):
    out = _run("replay", "sess-0001", "--source", str(store), "--color").stdout
    assert "\x1b[" in out


def test_output_to_a_pipe_is_plain_by_default(store):
    assert "\x1b[" not in _run("replay", "sess-0001", "--source", str(store)).stdout


def test_json_is_the_session_model(store):
    data = json.loads(_run("replay", "sess-0002", "--source", str(store), "--json").stdout)
    expected = json.loads(json.dumps(build_session(support_session(2, fail=False, start_offset_s=2)).to_dict()))
    assert data == expected


def test_html_writes_the_replay_page(store, tmp_path):
    target = tmp_path / "pages" / "replay.html"
    result = _run("replay", "sess-0001", "--source", str(store), "--html", str(target))
    assert result.stdout.strip() == f"wrote {target}"
    page = target.read_text(encoding="utf-8")
    assert page.lstrip().lower().startswith("<!doctype html") and "sess-0001-7f3a" in page


def test_open_hands_the_page_to_the_browser(store, tmp_path):
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser.sh"
    browser.write_text(f'#!/bin/sh\necho "$1" > {opened}\n')
    browser.chmod(browser.stat().st_mode | stat.S_IEXEC)
    target = tmp_path / "r.html"
    # A fresh process: webbrowser reads $BROWSER once per process. It waits for a $BROWSER command.
    done = subprocess.run(
        [sys.executable, "-c", "from agentops_otel.cli import main; main()", "replay", "sess-0001",
         "--source", str(store), "--html", str(target), "--open"],
        env={**os.environ, "BROWSER": str(browser)}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert opened.read_text().strip() == target.resolve().as_uri()
