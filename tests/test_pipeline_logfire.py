"""init() after logfire.configure() records, with the real logfire package (issue 20).

Logfire's global provider is a proxy, not an SDK provider; init() joins the SDK provider behind it, in
front of logfire's processors, so our recorder and store see spans before logfire's scrubber rewrites
them. What logfire itself exports is scrubbed (`session.id` matches its "session" pattern); the
scrubbing callback in README.md keeps our attributes in it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")

APP = """
import json, sys
import logfire
from opentelemetry import trace
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
import agentops_otel as agentops
from agentops_otel import semconv as sc

{callback}

exported = InMemorySpanExporter()  # what logfire's own exporters get
options = dict(send_to_logfire=False, console=False, inspect_arguments=False,
               additional_span_processors=[SimpleSpanProcessor(exported)])
if sys.argv[1] == "callback":
    options["scrubbing"] = logfire.ScrubbingOptions(callback=keep_agentops_attributes)
logfire.configure(**options)
early = trace.get_tracer("made.before.init")  # a tracer handed out before init()
given = trace.get_tracer_provider() if sys.argv[2] == "given" else None
provider = agentops.init(tracer_provider=given, store=False, instrument_llm=False)

@agentops.record_tool("lookup")
def lookup(order):
    return {{"order": order, "state": "refunded"}}

with agentops.session("refund", tags=["billing"]) as handle:
    with logfire.span("triage {{order}}", order="A-1"):
        lookup("A-1")
        with early.start_as_current_span("chat gpt-4o-mini", attributes={{
                sc.GEN_AI_OPERATION_NAME: "chat", sc.GEN_AI_PROVIDER_NAME: "openai",
                sc.GEN_AI_REQUEST_MODEL: "gpt-4o-mini", sc.GEN_AI_USAGE_INPUT_TOKENS: 1000,
                sc.GEN_AI_USAGE_OUTPUT_TOKENS: 100}}):
            pass
session = handle.get()
spans = {{s.name: dict(s.attributes) for s in exported.get_finished_spans()}}
print(json.dumps({{
    "provider": type(provider).__module__ + "." + type(provider).__name__,
    "session_id": session.session_id, "end_state": session.end_state, "llm_calls": session.llm_calls,
    "cost": session.cost, "steps": [[s.kind, s.name] for s in session.steps],
    "exported_session_ids": sorted({{a.get(sc.SESSION_ID) for a in spans.values()}}),
    "exported_end_state": spans["session refund"].get(sc.AGENTOPS_SESSION_END_STATE),
    "exported_cost": spans["chat gpt-4o-mini"].get(sc.AGENTOPS_COST_USD),
}}))
"""


def readme_callback() -> str:
    """The scrubbing callback as README.md shows it (the test runs the documented code)."""
    found = re.search(r"```python\n(def keep_agentops_attributes.*?)```", README, re.S)
    assert found, "README.md must show keep_agentops_attributes in a python block"
    return found.group(1)


def run(tmp_path: Path, scrubbing: str, provider: str) -> dict:
    script = tmp_path / "app.py"
    script.write_text(APP.format(callback=textwrap.dedent(readme_callback())))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "AGENTOPS_OTEL_", "LOGFIRE_"))}
    env.update(AGENTOPS_OTEL_DEBUG="1", PYTHONPATH=str(ROOT))
    result = subprocess.run(
        [sys.executable, str(script), scrubbing, provider],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("provider", ["global", "given"])
def test_init_after_logfire_configure_records_in_front_of_its_scrubber(tmp_path: Path, provider: str) -> None:
    seen = run(tmp_path, "default", provider)
    assert seen["provider"] == "opentelemetry.sdk.trace.TracerProvider"  # the one behind logfire's proxy
    assert seen["end_state"] == "Success" and seen["llm_calls"] == 1 and seen["cost"] > 0
    assert ["tool", "lookup"] in seen["steps"] and ["other", "triage {order}"] in seen["steps"]
    assert re.fullmatch(r"[0-9a-f-]{36}", seen["session_id"])  # ours, unscrubbed
    # What logfire exports went through its default scrubbing: the id is gone, so sessions merge there.
    assert seen["exported_session_ids"] == ["[Scrubbed due to 'session']"]
    assert seen["exported_cost"] == seen["cost"]  # its exporters get our priced copies


def test_the_documented_scrubbing_callback_keeps_our_attributes(tmp_path: Path) -> None:
    seen = run(tmp_path, "callback", "global")
    assert seen["exported_session_ids"] == [seen["session_id"]]
    assert seen["exported_end_state"] == "Success"
