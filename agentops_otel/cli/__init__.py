"""The `agentops-otel` command line.

Adding a command: create `agentops_otel/cli/cmd_<name>.py` defining a click command in a variable
named `command`; it appears as `agentops-otel <name>` (underscores become dashes) with no change
here. Modules are imported only when their command runs or `--help` lists it, so keep heavy imports
(rich, sources, renderers) inside the command function.

    import click
    from agentops_otel.cli import UserError, open_source_or_exit, source_option

    @click.command()
    @click.argument("session_id")
    @source_option                                   # --source SPEC, documented once for all commands
    def command(session_id: str, source_spec: str | None) -> None:
        \"\"\"One line that `agentops-otel --help` shows.\"\"\"
        source = open_source_or_exit(source_spec)    # bad spec -> "error: ..." and exit 2
        session = source.session(session_id)         # our errors -> "error: ..." and exit 2

Errors: every `agentops_otel.errors.AgentOpsOtelError` (StoreError, SourceError,
SessionNotFoundError, ConfigurationError) raised by a command, every click usage error and
`UserError("...")` print one line `error: ...` on stderr and exit with status 2, never a traceback
(a bare `agentops-otel` prints the help instead, as click does).
Wrap a block in `with user_errors():` when you call a command function directly (not through `main`).
Other helpers: `parse_since("2h")` (ns since the epoch), `color_option` + `use_color()`,
`terminal_width()`. A command ends with status 0 by returning, or another status with
`ctx.exit(code)` (for instance `check` failing a CI gate).
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import sys
from collections.abc import Sequence
from typing import Any

import click

from ..errors import AgentOpsOtelError
from ..sources import parse_since
from ._common import (
    USER_ERROR_EXIT,
    UserError,
    color_option,
    one_line,
    open_source_or_exit,
    source_option,
    terminal_width,
    use_color,
    user_errors,
)

_PREFIX = "cmd_"


class _CommandsByModule(click.Group):
    """A group whose commands are the `cmd_*` modules of this package, imported on demand."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(
            info.name.removeprefix(_PREFIX).replace("_", "-")
            for info in pkgutil.iter_modules(__path__)
            if info.name.startswith(_PREFIX)
        )

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.list_commands(ctx):
            return None
        module_name = f"{__name__}.{_PREFIX}{cmd_name.replace('-', '_')}"
        try:
            module = importlib.import_module(module_name)
            found = module.command
        except Exception as exc:  # one broken command must not take the others (or --help) down
            return _unavailable(cmd_name, exc)
        if not isinstance(found, click.Command):
            return _unavailable(cmd_name, TypeError(f"{module_name}.command is not a click command"))
        return found

    def main(  # type: ignore[override]  # one signature for click's two overloads
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """Run the command line; in standalone mode, report errors as one `error: ...` line."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        _show_warnings()
        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.exceptions.Abort:
            click.echo("aborted", err=True)
            sys.exit(1)
        except click.exceptions.NoArgsIsHelpError as exc:  # bare `agentops-otel`: the help, as click prints it
            exc.show()
            sys.exit(exc.exit_code)
        except click.UsageError as exc:
            hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx is not None else ""
            click.echo(f"error: {one_line(exc.format_message())}{hint}", err=True)
            sys.exit(USER_ERROR_EXIT)
        except click.ClickException as exc:
            UserError(exc.format_message()).show()
            sys.exit(USER_ERROR_EXIT)
        except AgentOpsOtelError as exc:
            UserError(str(exc) or type(exc).__name__).show()
            sys.exit(USER_ERROR_EXIT)
        except OSError as exc:  # click itself handles a closed pipe (`agentops-otel sessions | head`)
            where = f" {exc.filename}" if exc.filename else ""
            UserError(f"cannot use{where}: {exc.strerror or exc}").show()
            sys.exit(USER_ERROR_EXIT)
        sys.exit(result if isinstance(result, int) else 0)


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is when a record comes (click's test runner swaps it)."""

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def _show_warnings() -> None:
    """Our library's warnings (a skipped line, a bad setting) as `warning: ...` lines on stderr."""
    logger = logging.getLogger("agentops_otel")
    if not any(isinstance(h, _StderrHandler) for h in logger.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("warning: %(message)s"))
        handler.setLevel(logging.WARNING)
        logger.addHandler(handler)


def _unavailable(name: str, exc: Exception) -> click.Command:
    reason = f"{type(exc).__name__}: {exc}"

    def fail() -> None:
        raise UserError(f"the {name} command cannot load ({reason}); reinstall agentops-opentelemetry")

    return click.Command(name, callback=fail, help=f"(unavailable: {reason})")


@click.group(cls=_CommandsByModule, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="agentops-opentelemetry", prog_name="agentops-otel")
def main() -> None:
    """Record AI-agent runs as OpenTelemetry traces; list, replay, test and price them.

    Start with `agentops-otel demo`, then `agentops-otel sessions` and `agentops-otel replay ID`.
    """


__all__ = [
    "UserError",
    "color_option",
    "main",
    "open_source_or_exit",
    "parse_since",
    "source_option",
    "terminal_width",
    "use_color",
    "user_errors",
]
