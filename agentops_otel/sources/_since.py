"""`since` values: how far back a listing reaches, as every reader and the viewer take it."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from ..errors import ConfigurationError

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$", re.IGNORECASE)
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(text: str, now: datetime | None = None) -> int:
    """`since` as nanoseconds since the epoch: a duration back from now (90s, 30m, 2h, 7d, 1w) or an ISO
    date or time (2026-11-24, 2026-11-24T09:30, with or without a zone; no zone is local time).

    Raises ConfigurationError for anything else.
    """
    now = now or datetime.now().astimezone()
    match = _DURATION.match(text)
    if match:
        amount, unit = float(match.group(1)), match.group(2).lower()
        moment = now - timedelta(**{_UNITS[unit]: amount})
    else:
        try:
            moment = datetime.fromisoformat(text.strip())
        except ValueError:
            raise ConfigurationError(
                f"--since {text!r} is neither a duration (30m, 2h, 7d) nor an ISO date or time "
                "(2026-11-24, 2026-11-24T09:30)"
            ) from None
        if moment.tzinfo is None:
            moment = moment.astimezone()  # a date or time without a zone is the user's local time
    return int(moment.timestamp() * 1_000_000_000)
