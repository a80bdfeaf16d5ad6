"""Session links: `session_url(session)`, the link that opens a session's replay, and `with_url`, which
puts it on a Session (the model holds it as plain data; this layer is where it is made).

With a URL template configured (`init(url_template=...)` or AGENTOPS_OTEL_URL_TEMPLATE, placeholders
`{trace_id}` and `{session_id}`, e.g. `http://localhost:16686/trace/{trace_id}`) the link points
into that UI. Otherwise it is a `file://` URL of the replay page, written on demand to
`.agentops/replays/<session id>.html` next to the local store, so it works offline on this machine.
The page is rewritten only when the session changed since it was written.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import re
import tempfile
import urllib.parse
from pathlib import Path

from ._config import ENV_URL_TEMPLATE, store_path
from ._internal import internal_error
from ._pipeline import current_pipeline
from .model import Session

_log = logging.getLogger("agentops_otel")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
_HEAD_BYTES = 1024  # the fingerprint <meta> sits in the first few hundred bytes of the page


def _settings() -> tuple[str | None, Path]:
    pipeline = current_pipeline()
    if pipeline is not None:
        return pipeline.settings.url_template, Path(pipeline.settings.store_path)
    return os.environ.get(ENV_URL_TEMPLATE) or None, store_path()


def fill_template(template: str, session: Session) -> str:
    return template.replace("{trace_id}", session.trace_id).replace(
        "{session_id}", urllib.parse.quote(session.session_id, safe="")
    )


def backend_url(session: Session) -> str | None:
    """The session in the user's own UI, when a URL template is configured; else None."""
    template, _ = _settings()
    return fill_template(template, session) if template else None


def replay_file_name(session_id: str) -> str:
    """A file name for any session id: readable when the id is, unique either way."""
    safe = _UNSAFE.sub("_", session_id)[:80]
    if safe != session_id:
        safe += "-" + hashlib.sha256(session_id.encode()).hexdigest()[:10]
    return safe + ".html"


def _is_current(path: Path, fingerprint: str) -> bool:
    try:
        with path.open("rb") as f:
            head = f.read(_HEAD_BYTES)
    except OSError:
        return False
    return f'name="agentops-replay" content="{fingerprint}"'.encode() in head


def write_replay(session: Session, folder: Path) -> Path:
    """The session's replay page in `folder`, (re)written only when missing or out of date."""
    from .replay.html import fingerprint, render_html

    path = folder / replay_file_name(session.session_id)
    if not _is_current(path, fingerprint(session)):
        folder.mkdir(parents=True, exist_ok=True)
        # Write aside and rename, so a browser or another process never sees half a page.
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".replay-", suffix=".html")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(render_html(session))
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return path


def session_url(session: Session) -> str:
    """The link that opens `session`'s replay, writing the page when it is missing or out of date.

    Never empty, never raises: a folder we cannot write is logged and the next one tried.
    """
    template, store = _settings()
    if template:
        return fill_template(template, session)
    folders = (store.parent / "replays", Path(tempfile.gettempdir()) / "agentops-otel-replays")
    for folder in folders:
        try:
            return write_replay(session, folder).resolve().as_uri()
        except OSError as exc:
            _log.warning("agentops_otel: cannot write the replay page in %s: %s", folder, exc)
        except Exception:
            internal_error("write a replay page")
    return (folders[0] / replay_file_name(session.session_id)).resolve().as_uri()


def with_url(session: Session) -> Session:
    """`session` with its `url` filled in (the replay page written on demand)."""
    return dataclasses.replace(session, url=session_url(session))
