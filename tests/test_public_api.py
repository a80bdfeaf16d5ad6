"""The package's public surface: listed once, importable lazily."""

import subprocess
import sys


def test_the_public_names_are_all_listed_and_importable():
    import agentops_otel

    exported = set(agentops_otel.__all__) - {"__version__"}
    assert exported == set(agentops_otel._EXPORTS)
    for name in exported:
        assert getattr(agentops_otel, name) is not None


def test_importing_the_package_loads_no_opentelemetry():
    code = "import sys, agentops_otel; print(any(m.startswith('opentelemetry') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
