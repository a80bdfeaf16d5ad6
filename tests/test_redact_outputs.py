"""No credential planted anywhere in an agent reaches any output.

An agent process (tests/_secrets_app.py) plants every credential shape in every place it can: the
prompt of a real openai call, a provider's 401 answer echoing the key, tool arguments, dict keys, an
exception, tags, session attributes, AgentOps events, attributes other code sets on our spans, and
an end state's reason. It records to the local store and over OTLP/HTTP to a loopback receiver.
Then every output is read: the store's files, the OTLP payloads, `replay --json`, `replay --html`,
`sessions --json`, `export` recordings, the viewer's pages, and the agent's own stdout/stderr.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from agentops_otel.cli import main
from agentops_otel.sources import open_source
from agentops_otel.testing.llm_server import ErrorReply, LLMServer, default_reply
from agentops_otel.viewer import make_server
from tests._otlp_receiver import OtlpReceiver
from tests._secret_shapes import SHAPE_IDS, SHAPES, Shape
from tests._secrets_app import PLACES

APP = Path(__file__).with_name("_secrets_app.py")


def _answer(request):
    if "[401]" in request.last_user_text:
        from tests._secrets_app import text

        return ErrorReply(401, f"Incorrect API key provided: {text('401')}")
    return default_reply(request)


def _cli(*args: str) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Every output of the agent's run, by name."""
    work = tmp_path_factory.mktemp("secrets")
    store = work / "store" / "traces.db"
    receiver = OtlpReceiver()
    try:
        with LLMServer() as llm:
            llm.responder = _answer
            env = {
                **{k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "AGENTOPS_OTEL_"))},
                "AGENTOPS_OTEL_STORE_PATH": str(store),
                "OTEL_TRACES_EXPORTER": "otlp,agentops_store",
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": receiver.endpoint,
                "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
            }
            run = subprocess.run(
                [sys.executable, str(APP), llm.openai_base_url], env=env, capture_output=True, text=True, timeout=120
            )
        assert run.returncode == 0, run.stderr
        found: dict[str, str] = {"agent stdout+stderr": run.stdout + run.stderr}
        found["OTLP payloads"] = "\n".join(
            r.request.SerializeToString().decode("utf-8", "replace") for r in receiver.attempts() if r.request
        )
    finally:
        receiver.close()
    found["store files"] = "\n".join(p.read_bytes().decode("utf-8", "replace") for p in store.parent.iterdir())
    listed = json.loads(_cli("sessions", "--json", "--source", str(store)))
    assert sorted(s["name"] for s in listed) == ["llm", "reason", "tool"]
    found["sessions --json"] = json.dumps(listed)
    source = open_source(str(store))
    server = make_server(source)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        for summary in listed:
            ident = summary["session_id"]
            found[f"replay --json {summary['name']}"] = _cli("replay", ident, "--json", "--source", str(store))
            page = work / f"{ident}.html"
            _cli("replay", ident, "--html", str(page), "--source", str(store))
            found[f"replay --html {summary['name']}"] = page.read_text()
            found[f"viewer page {summary['name']}"] = urllib.request.urlopen(f"{server.url}sessions/{ident}").read()
            if summary["name"] == "llm":
                recording = work / "recording.json"
                _cli("export", ident, "-o", str(recording), "--source", str(store))
                found["export recording"] = recording.read_text()
        found["viewer list"] = urllib.request.urlopen(server.url).read().decode()
        found["viewer api"] = urllib.request.urlopen(f"{server.url}api/sessions").read().decode()
    finally:
        server.shutdown()
        server.server_close()
    return {name: text if isinstance(text, str) else text.decode() for name, text in found.items()}


@pytest.mark.parametrize("shape", SHAPES, ids=SHAPE_IDS)
def test_no_credential_reaches_any_output(outputs: dict[str, str], shape: Shape) -> None:
    leaks = [
        f"{place} -> {output}" for place in PLACES for output, text in outputs.items() if shape.secret(place) in text
    ]
    assert not leaks, f"{shape.name} leaked: {leaks}"


@pytest.mark.parametrize("place", PLACES)
def test_every_place_was_recorded_with_its_credentials_masked(outputs: dict[str, str], place: str) -> None:
    """The test plants for real: each place's text is in the store and the replay, with shapes kept."""
    assert f"[{place}]" in outputs["store files"]
    html = outputs["replay --html llm"] + outputs["replay --html tool"] + outputs["replay --html reason"]
    assert f"[{place}]" in html or f"[{place}]" in json.dumps(html)
    assert "sk-proj-****" in outputs["store files"] and "AKIA****" in outputs["store files"]


def test_the_401_answer_and_the_exception_are_recorded(outputs: dict[str, str]) -> None:
    llm = json.loads(outputs["replay --json llm"])
    failed = [s for s in llm["steps"] if s["error"]]
    assert any("Incorrect API key provided" in s["error"]["message"] for s in failed)
    tool = json.loads(outputs["replay --json tool"])
    assert tool["end_state"] == "Fail" and "could not connect" in tool["end_state_reason"]
    assert "sk-ant-api03-****" in tool["end_state_reason"]
