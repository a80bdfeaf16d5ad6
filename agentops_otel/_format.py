"""How numbers read for people: money, in every renderer and message alike."""

from __future__ import annotations

UNKNOWN = "unknown"


def usd(value: float | None) -> str:
    """Dollars with the digits that matter: `$0.0031`, `$0.00006`, `$12.50`; "unknown" for None.

    Up to 8 decimals (an embedding call costs fractions of a micro-dollar), never fewer than 2.
    """
    if value is None:
        return UNKNOWN
    text = f"{value:.8f}".rstrip("0")
    whole, _, decimals = text.partition(".")
    return f"${whole}.{decimals.ljust(2, '0')}"
