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


def open_source_or_exit(spec: str | None) -> TraceSource:
    """The trace source a `--source` spec names (None: AGENTOPS_OTEL_SOURCE, else the local store).

    A spec we cannot use exits with status 2 and one line, like every other user error.
    """
    from ..sources import open_source

    with user_errors():
        return open_source(spec)


def source_option(func: F) -> F:
    """The `--source SPEC` option, documented the same way on every command."""
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
