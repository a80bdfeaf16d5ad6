"""The package's public surface: a small `__all__`, every AgentOps name still importable, all lazily."""

import subprocess
import sys

import pytest


def test_all_is_the_small_set_a_new_user_learns_and_every_name_imports():
    import agentops_otel

    exported = set(agentops_otel.__all__) - {"__version__"}
    assert exported <= set(agentops_otel._EXPORTS)
    assert {"init", "session", "tool", "action", "agent", "get_session", "playback"} <= exported
    assert not {"record_tool", "record_action", "end_all_sessions", "PlaybackDivergence"} & exported
    for name in agentops_otel._EXPORTS:  # the AgentOps spellings too
        assert getattr(agentops_otel, name) is not None
    assert agentops_otel.record_tool is agentops_otel.tool and agentops_otel.record_action is agentops_otel.action


def test_playback_types_live_in_the_playback_package():
    import agentops_otel
    from agentops_otel import playback

    assert playback.Player.__module__.startswith("agentops_otel.playback")
    for name in ("PlaybackDivergence", "PlaybackError", "RecordedStep", "RecordedToolError", "Recording"):
        assert getattr(agentops_otel, name) is getattr(playback, name)


def test_an_unknown_name_says_so():
    import agentops_otel

    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        agentops_otel.nope  # noqa: B018


def test_importing_the_package_loads_no_opentelemetry():
    code = "import sys, agentops_otel; print(any(m.startswith('opentelemetry') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_pytest_plugin_loads_neither_the_model_nor_opentelemetry():
    """Every pytest run of every project that has us installed imports the plugin: it must be free."""
    code = (
        "import sys, agentops_otel.testing.pytest_plugin;"
        "print(sorted(m for m in sys.modules if m.startswith(('opentelemetry', 'agentops_otel.model',"
        " 'agentops_otel.capture', 'agentops_otel.testing.assertions'))))"
    )
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    loaded = {line.rsplit("|", 1)[-1].strip() for line in out.stderr.splitlines() if line.startswith("import time:")}
    assert not {m for m in loaded if m.startswith(("opentelemetry", "agentops_otel.model"))}
    assert "agentops_otel.testing.pytest_plugin" in loaded  # -X importtime did see the imports


def test_the_testing_names_still_import_from_the_package():
    import agentops_otel.testing as testing

    assert callable(testing.assert_tool_called) and callable(testing.assert_variations)
    assert set(testing.__all__) == set(testing._EXPORTS)


def test_the_instrumentor_entry_points_are_the_registry():
    import tomllib
    from pathlib import Path

    from agentops_otel.instrumentation import INSTRUMENTORS

    pyproject = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text())
    declared = pyproject["project"]["entry-points"]["opentelemetry_instrumentor"]
    assert declared == {r.name: f"{r.module}:{r.class_name}" for r in INSTRUMENTORS}
    for registered in INSTRUMENTORS:
        assert registered.load().__name__ == registered.class_name
