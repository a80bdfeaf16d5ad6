"""Helpers shared by every command: user errors, opening a source, common options, the terminal."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, TYPE_CHECKING, Any, TypeVar

import click

from ..errors import AgentOpsOtelError

if TYPE_CHECKING:
    from ..sources import TraceSource

F = TypeVar("F", bound=Callable[..., Any])
USER_ERROR_EXIT = 2
MAX_LIMIT = 1_000_000  # sessions a listing or the gate reads at most
MAX_WIDTH = 1_000  # columns of a timeline


class SinceType(click.ParamType):
    """`--since`: a duration back from now or an ISO date/time, as nanoseconds since the epoch."""

    name = "WHEN"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        from ..sources import parse_since

        try:
            return parse_since(str(value))
        except AgentOpsOtelError as exc:
            self.fail(str(exc).removeprefix("--since "), param, ctx)


class FiniteFloatRange(click.FloatRange):
    """A FloatRange that refuses nan and inf (a threshold of nan is never breached)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if number != number or number in (float("inf"), float("-inf")):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


SINCE = SinceType()


class UserError(click.ClickException):
    """Something the user can fix: printed as one `error: ...` line on stderr, exit status 2."""

    exit_code = USER_ERROR_EXIT

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"error: {one_line(self.format_message())}", file=file or sys.stderr)


def one_line(text: str) -> str:
    return " ".join(text.split())


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn our own errors (bad store file, unknown id, unreachable source, bad setting) into UserError."""
    try:
        yield
    except AgentOpsOtelError as exc:
        raise UserError(str(exc) or type(exc).__name__) from exc


_SKIP_BAD_LINES = "agentops_otel.skip_bad_lines"


def open_source_or_exit(spec: str | None) -> TraceSource:
    """The trace source a `--source` spec names (None: AGENTOPS_OTEL_SOURCE, else the local store),
    reading as `--skip-bad-lines` says.

    A spec we cannot use exits with status 2 and one line, like every other user error.
    """
    from ..sources import open_source

    ctx = click.get_current_context(silent=True)
    skip = bool(ctx is not None and ctx.meta.get(_SKIP_BAD_LINES))
    with user_errors():
        return open_source(spec, skip_bad_lines=skip)


def _remember_skip(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    ctx.meta[_SKIP_BAD_LINES] = value


def source_option(func: F) -> F:
    """The `--source SPEC` and `--skip-bad-lines` options, documented the same way on every command."""
    func = click.option(
        "--skip-bad-lines",
        is_flag=True,
        expose_value=False,
        callback=_remember_skip,
        help="Skip the unreadable lines of an OTLP JSON Lines file (reported with their count) instead of "
        "stopping at the first. An incomplete last line (a file still being written) is always skipped.",
    )(func)
    return click.option(
        "--source",
        "source_spec",
        metavar="SPEC",
        default=None,
        help="Where to read traces: a store file (store:PATH, *.db), an OTLP JSON file (file:PATH), "
        "jaeger:http://HOST:16686 or tempo:http://HOST:3200. Default: $AGENTOPS_OTEL_SOURCE, else "
        "the local store (.agentops/traces.db).",
    )(func)


def color_option(func: F) -> F:
    return click.option(
        "--color/--no-color",
        default=None,
        help="Colour the output (default: when writing to a terminal and NO_COLOR is not set).",
    )(func)


def use_color(requested: bool | None) -> bool:
    if requested is not None:
        return requested
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def terminal_width() -> int:
    """Columns of the terminal (or $COLUMNS); 100 when the output is not a terminal."""
    return shutil.get_terminal_size((100, 24)).columns
