"""Session links: a configured backend link, else a replay page written next to the store on demand."""

from __future__ import annotations

import json
import threading
import urllib.parse
from pathlib import Path

import pytest

from agentops_otel import _pipeline
from agentops_otel._config import ENV_STORE_PATH, ENV_URL_TEMPLATE
from agentops_otel._links import backend_url, session_url, with_url
from agentops_otel.model import build_session, from_readable_span
from tests._sources_shapes import session_spans


@pytest.fixture
def no_pipeline(monkeypatch, tmp_path):
    """Settings from the environment only, with the store in a fresh folder."""
    monkeypatch.setattr(_pipeline, "_pipeline", None)
    monkeypatch.delenv(ENV_URL_TEMPLATE, raising=False)
    monkeypatch.setenv(ENV_STORE_PATH, str(tmp_path / "data" / "traces.db"))
    return tmp_path


def _session(session_id="sess-checkout-1", extra_steps=0):
    return build_session([from_readable_span(s) for s in session_spans(session_id, extra_steps=extra_steps)])


def _path(url: str) -> Path:
    assert url.startswith("file://")
    return Path(urllib.parse.unquote(urllib.parse.urlsplit(url).path))


def test_a_configured_template_is_filled(no_pipeline, monkeypatch):
    monkeypatch.setenv(ENV_URL_TEMPLATE, "http://127.0.0.1:16686/trace/{trace_id}?s={session_id}")
    session = _session("a b/c")
    assert session.url is None  # the model holds a link only when the links layer put one there
    assert with_url(session).url == f"http://127.0.0.1:16686/trace/{session.trace_id}?s=a%20b%2Fc"


def test_without_a_template_the_page_is_written_next_to_the_store(no_pipeline):
    session = _session()
    path = _path(session_url(session))
    assert path == (no_pipeline / "data" / "replays" / "sess-checkout-1.html").resolve()
    assert "sess-checkout-1" in path.read_text(encoding="utf-8")


def test_the_page_is_rewritten_only_when_the_session_changed(no_pipeline):
    records = [from_readable_span(s) for s in session_spans(extra_steps=2)]
    early = build_session([r for r in records if not r.name.startswith("step ")])
    first = _path(session_url(early))
    inode = first.stat().st_ino
    assert _path(session_url(early)).stat().st_ino == inode  # unchanged: the page is reused
    assert "step_1" not in first.read_text(encoding="utf-8")
    later = build_session(records)  # the same session with more spans
    assert _path(session_url(later)) == first
    assert first.stat().st_ino != inode
    assert "step_1" in first.read_text(encoding="utf-8")


def test_odd_session_ids_stay_inside_the_replays_folder(no_pipeline):
    path = _path(session_url(_session("../../etc/passwd")))
    assert path.parent == (no_pipeline / "data" / "replays").resolve()
    assert path.name.startswith(".._.._etc_passwd-")


def test_an_unwritable_store_folder_falls_back_to_the_temp_folder(no_pipeline, monkeypatch):
    blocker = no_pipeline / "blocked"
    blocker.write_text("a file where the folder should be")
    monkeypatch.setenv(ENV_STORE_PATH, str(blocker / "traces.db"))
    path = _path(session_url(_session()))
    assert path.is_file() and "agentops-otel-replays" in str(path)


def test_concurrent_readers_all_get_a_whole_page(no_pipeline):
    sessions = [_session(extra_steps=n % 3) for n in range(8)]
    urls: list[str] = []
    threads = [threading.Thread(target=lambda s=s: urls.append(session_url(s))) for s in sessions]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(urls)) == 1
    page = _path(urls[0]).read_text(encoding="utf-8")
    assert page.rstrip().endswith("</html>")
    assert not list(_path(urls[0]).parent.glob(".replay-*"))


def test_the_replay_page_links_to_the_configured_backend(no_pipeline, monkeypatch):
    from agentops_otel.replay.html import page_data, render_html

    session = _session()
    assert backend_url(session) is None
    assert '"backend_url":null' in render_html(session)
    monkeypatch.setenv(ENV_URL_TEMPLATE, "http://127.0.0.1:3000/explore?trace={trace_id}")
    link = f"http://127.0.0.1:3000/explore?trace={session.trace_id}"
    assert backend_url(session) == link
    page = render_html(session, backend_url=backend_url(session))
    assert json.dumps(page_data(session, link)["backend_url"]) in page
    assert '"backend_url":null' in render_html(session)  # the renderer is pure: no settings read
