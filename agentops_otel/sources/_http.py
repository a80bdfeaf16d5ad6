"""JSON over HTTP GET for the backend sources, with the stdlib only.

Every failure becomes one SourceError naming the URL and the reason; a 404 is answered with None so a
source can tell "no such trace" from "backend broken".
"""

from __future__ import annotations

import http.client
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from ..errors import SourceError
from ._otlp_json import parse_json

DEFAULT_TIMEOUT = 10.0
_MAX_BYTES = 512 * 1024 * 1024  # a backend answer this big is a mistake, not a trace


def build_url(base: str, path: str, query: dict[str, Any] | None = None) -> str:
    url = base.rstrip("/") + path
    params = {k: v for k, v in (query or {}).items() if v is not None}
    return url + ("?" + urllib.parse.urlencode(params) if params else "")


def get_json(url: str, timeout: float = DEFAULT_TIMEOUT) -> Any | None:
    """The parsed JSON body of GET `url`; None on 404."""
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read(_MAX_BYTES + 1)
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return None
        detail = exc.read(300).decode("utf-8", "replace").strip()
        raise SourceError(f"{url}: HTTP {exc.code} {exc.reason}" + (f": {detail}" if detail else "")) from None
    except urllib.error.URLError as exc:
        raise SourceError(f"{url}: cannot connect ({exc.reason}); is the backend running?") from None
    except TimeoutError:
        raise SourceError(f"{url}: no answer within {timeout:g}s") from None
    except (OSError, ValueError, http.client.HTTPException) as exc:  # resets, truncation, bad URLs
        raise SourceError(f"{url}: {type(exc).__name__}: {exc}") from None
    if len(body) > _MAX_BYTES:
        raise SourceError(f"{url}: answer larger than {_MAX_BYTES} bytes")
    return parse_json(body, url)
