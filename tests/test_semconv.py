"""The semconv registry is the one source of attribute names."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LITERAL = re.compile(r"""["'](gen_ai|agentops|session)\.[a-z_]+(\.[a-z_]+)*["']""")


def test_generated_files_are_up_to_date():
    result = subprocess.run(
        [sys.executable, "semconv/generate.py", "--check"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_check_fails_when_the_registry_changes(tmp_path):
    # Copy the generator and registry, change the registry, and expect --check to fail.
    (tmp_path / "semconv" / "registry").mkdir(parents=True)
    (tmp_path / "agentops_otel").mkdir()
    for path in (ROOT / "semconv" / "registry").glob("*.yaml"):
        (tmp_path / "semconv" / "registry" / path.name).write_text(path.read_text())
    (tmp_path / "semconv" / "generate.py").write_text((ROOT / "semconv" / "generate.py").read_text())
    for name in ("agentops_otel/semconv.py", "semconv/README.md"):
        (tmp_path / name).write_text((ROOT / name).read_text())
    extra = tmp_path / "semconv" / "registry" / "zz_extra.yaml"
    extra.write_text(
        "groups:\n  - id: registry.agentops.extra\n    type: attribute_group\n    brief: x\n"
        "    attributes:\n      - id: agentops.extra.thing\n        type: string\n"
        "        stability: development\n        brief: A new attribute.\n"
    )
    check = [sys.executable, "semconv/generate.py", "--check"]
    stale = subprocess.run(check, cwd=tmp_path, capture_output=True, text=True)
    assert stale.returncode == 1
    assert "out of date" in stale.stderr
    subprocess.run([sys.executable, "semconv/generate.py"], cwd=tmp_path, check=True)
    assert 'AGENTOPS_EXTRA_THING: Final = "agentops.extra.thing"' in (tmp_path / "agentops_otel/semconv.py").read_text()
    assert subprocess.run(check, cwd=tmp_path).returncode == 0


def test_no_attribute_name_is_spelled_outside_the_generated_module():
    offenders = []
    for path in (ROOT / "agentops_otel").rglob("*.py"):
        if path.name == "semconv.py":
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if LITERAL.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, "use agentops_otel.semconv constants:\n" + "\n".join(offenders)


def test_every_constant_names_its_own_attribute():
    from agentops_otel import semconv

    names = {k: v for k, v in vars(semconv).items() if k.isupper() and k != "UPSTREAM_SEMCONV_VERSION"}
    assert names, "no constants generated"
    for constant, value in names.items():
        constant = constant.removeprefix("METRIC_").removeprefix("EVENT_")
        assert constant == value.upper().replace(".", "_"), constant
    assert semconv.UPSTREAM_SEMCONV_VERSION.count(".") == 2
