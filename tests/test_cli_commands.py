"""Commands are discovered from `cmd_*` modules: adding one needs no edit of the CLI package."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

import agentops_otel.cli as cli
from agentops_otel.cli import main


@pytest.fixture
def extra_commands(tmp_path, monkeypatch):
    """A second folder on the cli package's path, as a new cmd_ module in the package would be."""
    monkeypatch.setattr(cli, "__path__", [*cli.__path__, str(tmp_path)])
    yield tmp_path
    for name in [m for m in sys.modules if m.startswith("agentops_otel.cli.cmd_x_")]:
        del sys.modules[name]


def test_a_new_cmd_module_becomes_a_command_with_its_help(extra_commands):
    (extra_commands / "cmd_x_hello_world.py").write_text(
        "import click\n\n"
        "@click.command()\n"
        "@click.argument('who')\n"
        "def command(who):\n"
        "    '''Say hello to someone.'''\n"
        "    click.echo(f'hello {who}')\n"
    )
    listing = CliRunner().invoke(main, ["--help"]).stdout
    assert "x-hello-world  Say hello to someone." in listing
    result = CliRunner().invoke(main, ["x-hello-world", "you"])
    assert (result.exit_code, result.stdout) == (0, "hello you\n")


def test_a_command_module_that_fails_to_import_does_not_break_the_others(extra_commands):
    (extra_commands / "cmd_x_broken.py").write_text("import a_module_that_does_not_exist\n")
    (extra_commands / "cmd_x_not_a_command.py").write_text("command = 42\n")
    listing = CliRunner().invoke(main, ["--help"])
    assert listing.exit_code == 0
    assert "x-broken" in listing.stdout and "unavailable: ModuleNotFoundError" in listing.stdout
    assert "sessions" in listing.stdout
    broken = CliRunner().invoke(main, ["x-broken"])
    assert broken.exit_code == 2 and broken.stderr.startswith("error: the x-broken command cannot load")
    not_command = CliRunner().invoke(main, ["x-not-a-command"])
    assert not_command.exit_code == 2 and "is not a click command" in not_command.stderr


def test_our_errors_raised_by_any_command_become_one_line(extra_commands):
    (extra_commands / "cmd_x_fails.py").write_text(
        "import click\n"
        "from agentops_otel.errors import SourceError\n\n"
        "@click.command()\n"
        "def command():\n"
        "    raise SourceError('jaeger:http://127.0.0.1:1 is unreachable: start Jaeger or fix --source')\n"
    )
    result = CliRunner().invoke(main, ["x-fails"])
    assert result.exit_code == 2
    assert result.stderr == "error: jaeger:http://127.0.0.1:1 is unreachable: start Jaeger or fix --source\n"


def test_every_shipped_command_module_defines_a_click_command():
    ctx = click.Context(main)
    names = main.list_commands(ctx)
    assert {"sessions", "replay", "demo"} <= set(names)
    for name in names:
        command = main.get_command(ctx, name)
        assert isinstance(command, click.Command)
        assert not (command.help or "").startswith("(unavailable"), f"{name}: {command.help}"


def test_running_one_command_does_not_import_the_others_or_rich(tmp_path):
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from agentops_otel.cli import main\n"
        "result = CliRunner().invoke(main, ['sessions', '--source', sys.argv[1]])\n"
        "assert result.exit_code == 0, result.output\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('agentops_otel.cli.cmd_') or m == 'rich')\n"
        "print(loaded)\n"
    )
    empty = tmp_path / "empty.db"
    empty.touch()  # an empty file reads as a store with nothing in it
    done = subprocess.run([sys.executable, "-c", code, str(empty)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['agentops_otel.cli.cmd_sessions']"
