"""An agent that leaks every credential shape everywhere it can, run as its own process by
tests/test_redact_outputs.py: `python tests/_secrets_app.py OPENAI_BASE_URL`.

Each place gets its own copy of every shape (`planted(place)`), so a leak found in an output names
the place it came from. Configured by the environment (store path, OTLP endpoint).
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import openai
from opentelemetry import trace

import agentops_otel
from agentops_otel import ActionEvent, ErrorEvent, record, session, tool
from tests._secret_shapes import SHAPES

PLACES = (
    "prompt",
    "401",
    "tool-args",
    "dict-key",
    "exception",
    "tag",
    "attribute",
    "event",
    "other-code",
    "reason",
)


def text(place: str) -> str:
    return f"[{place}] " + " | ".join(str(s.planted(place)) for s in SHAPES)


def dicts(place: str) -> dict[str, object]:
    merged: dict[str, object] = {"place": f"[{place}]"}
    for shape in SHAPES:
        value = shape.planted(place)
        if isinstance(value, dict):
            merged.update(value)
        else:
            merged[f"note_{shape.name}"] = value
    return merged


@tool("lookup")
def lookup(query: str, options: dict[str, object]) -> dict[str, object]:
    span = trace.get_current_span()  # code that is not ours, writing on our span
    span.set_attribute("app.debug", text("other-code"))
    span.add_event("app.log", {"line": text("other-code")})
    return {"found": query[:40], "echo": options}


@tool("connect")
def connect() -> None:
    raise ConnectionError(f"could not connect: {text('exception')}")


def main(base_url: str) -> None:
    agentops_otel.init()
    client = openai.OpenAI(base_url=base_url, api_key="sk-proj-" + "Kq9" * 16, max_retries=0)
    with session("llm", tags=[text("tag")], note=text("attribute"), config=dicts("attribute")):
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": text("prompt")}])
        with contextlib.suppress(openai.AuthenticationError):
            client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "[401] hello"}])
        lookup(text("tool-args"), dicts("dict-key"))
        record(ActionEvent(action_type="fetch", params={"q": text("event")}, returns=dicts("event")))
        record(ErrorEvent(error_type="Backend", details=text("event")))
    with contextlib.suppress(ConnectionError), session("tool"):
        connect()
    handle = agentops_otel.start_session(name="reason")
    handle.end("Fail", text("reason"))
    agentops_otel.shutdown()


if __name__ == "__main__":
    main(sys.argv[1])
