"""How much a source reads at most, and gzip data expanded within that.

    limits = Limits.from_env()     # AGENTOPS_OTEL_SOURCE_TIMEOUT / _MAX_BYTES / _MAX_DECOMPRESSED_BYTES
    inflater = Inflater(where, limits)
    text = inflater.feed(chunk) + inflater.feed(next_chunk) + inflater.end()

Every limit that is hit is a SourceError naming the input, the limit, and the variable that raises it.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from .._config import (
    DEFAULT_SOURCE_MAX_BYTES,
    DEFAULT_SOURCE_MAX_DECOMPRESSED_BYTES,
    DEFAULT_SOURCE_TIMEOUT_S,
    ENV_SOURCE_MAX_BYTES,
    ENV_SOURCE_MAX_DECOMPRESSED_BYTES,
    ENV_SOURCE_TIMEOUT,
    env_int,
)
from ..errors import SourceError


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):g} MiB" if size >= 1024 * 1024 else f"{size} bytes"


@dataclass(frozen=True)
class Limits:
    timeout_s: float = DEFAULT_SOURCE_TIMEOUT_S  # one whole answer of a backend, not one read
    max_bytes: int = DEFAULT_SOURCE_MAX_BYTES  # an answer as sent, a file, or one line of one
    max_decompressed: int = DEFAULT_SOURCE_MAX_DECOMPRESSED_BYTES  # what gzip data may expand to

    @classmethod
    def from_env(cls) -> Limits:
        return cls(
            float(env_int(ENV_SOURCE_TIMEOUT, DEFAULT_SOURCE_TIMEOUT_S)),
            env_int(ENV_SOURCE_MAX_BYTES, DEFAULT_SOURCE_MAX_BYTES),
            env_int(ENV_SOURCE_MAX_DECOMPRESSED_BYTES, DEFAULT_SOURCE_MAX_DECOMPRESSED_BYTES),
        )

    def too_big(self, where: str, what: str = "answer") -> SourceError:
        return SourceError(
            f"{where}: {what} larger than {_mib(self.max_bytes)}; set {ENV_SOURCE_MAX_BYTES} to read more"
        )

    def too_expanded(self, where: str) -> SourceError:
        return SourceError(
            f"{where}: gzip data expanding past {_mib(self.max_decompressed)} (a compression bomb, or a very "
            f"large trace); set {ENV_SOURCE_MAX_DECOMPRESSED_BYTES} to read more"
        )

    def too_slow(self, where: str) -> SourceError:
        return SourceError(
            f"{where}: no complete answer within {self.timeout_s:g}s; is the backend overloaded? "
            f"set {ENV_SOURCE_TIMEOUT} (seconds) to wait longer"
        )


class Inflater:
    """Gzip (or zlib) data expanded chunk by chunk, never past `limits.max_decompressed`."""

    def __init__(self, where: str, limits: Limits) -> None:
        self._where, self._limits = where, limits
        self._zlib = zlib.decompressobj(wbits=47)  # 32 + 15: gzip or zlib header, detected
        self.size = 0

    def feed(self, data: bytes) -> bytes:
        out = b""
        while True:
            room = self._limits.max_decompressed - self.size
            try:
                part = self._zlib.decompress(data, room + 1)
            except zlib.error as exc:
                raise SourceError(f"{self._where}: corrupt or truncated gzip data ({exc})") from None
            self.size += len(part)
            if self.size > self._limits.max_decompressed:
                raise self._limits.too_expanded(self._where)
            out += part
            if not (self._zlib.eof and self._zlib.unused_data):
                return out
            data = self._zlib.unused_data  # the next member of a multi-member file (`cat a.gz b.gz`)
            self._zlib = zlib.decompressobj(wbits=47)

    def end(self) -> bytes:
        """The rest; SourceError when the data stops before its end (a truncated file or answer)."""
        out = self.feed(b"") + self._zlib.flush()
        if not self._zlib.eof:
            raise SourceError(f"{self._where}: corrupt or truncated gzip data (it ends before its end marker)")
        return out
