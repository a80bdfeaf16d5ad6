"""`since` values: how far back a listing reaches, as every reader and the viewer take it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from ..errors import ConfigurationError

_DURATION = re.compile(r"^\s*(\d{1,12}(?:\.\d{1,9})?)\s*([smhdw])\s*$", re.IGNORECASE)
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_LATEST_NS = 2**63 - 1
_FORMS = "a duration (30m, 2h, 7d) nor an ISO date or time (2026-11-24, 2026-11-24T09:30)"


def parse_since(text: str, now: datetime | None = None) -> int:
    """`since` as nanoseconds since the epoch: a duration back from now (90s, 30m, 2h, 7d, 1w) or an ISO
    date or time (2026-11-24, 2026-11-24T09:30, with or without a zone; no zone is local time).

    Raises ConfigurationError for anything else, and for a moment before 1970 (no trace is older).
    """
    now = now or datetime.now().astimezone()
    match = _DURATION.match(text)
    if match is None:
        try:
            moment = datetime.fromisoformat(text.strip())
        except ValueError:
            raise ConfigurationError(f"--since {text!r:.80} is neither {_FORMS}") from None
    try:
        if match is not None:
            amount, unit = float(match.group(1)), match.group(2).lower()
            moment = now - timedelta(**{_UNITS[unit]: amount})
        elif moment.tzinfo is None:
            moment = moment.astimezone()  # a date or time without a zone is the user's local time
        before_epoch = moment < _EPOCH
    except (OverflowError, ValueError):  # reaching past year 1, or local time of year 1
        before_epoch = True
    if before_epoch:
        raise ConfigurationError(
            f"--since {text!r:.80} reaches back before 1970-01-01, where no trace can be: "
            "give a shorter duration or a later date"
        )
    # Later than any 64-bit nanosecond time (year 2262): nothing is that new, and a store holds no more.
    return min((moment - _EPOCH) // timedelta(microseconds=1) * 1000, _LATEST_NS)
