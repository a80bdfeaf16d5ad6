"""Real third-party instrumentations, the same agent run: live and from an OTLP file alike (issue 20).

Each case runs `tests/_convention_agent.py` in its own process (instrumentors and the anthropic SDK's
own tracing are process-wide) under one real instrumentation package, with the real openai or
anthropic client against the loopback LLM server. The session read live (`get_session()`), the same
run as the user's exporter got it with us in front, and the run recorded before `init()` (no cost of
ours on it) read from an OTLP JSON file must agree: LLM calls, tokens, cost (what genai-prices'
public API says for the reported tokens) and, for the session, steps and end state. The anthropic
SDK (>= 2) traces itself inside OpenInference's LLM span and beside OpenLLMetry's: one call, one count.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import astuple
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import genai_prices
import pytest

from agentops_otel.sources import open_source

ROOT = Path(__file__).resolve().parent.parent
AGENT = ROOT / "tests" / "_convention_agent.py"

OPENAI = ("openai", "gpt-4o-mini-2024-07-18")
ANTHROPIC = ("anthropic", "claude-3-5-haiku-20241022")
# (input, output, cache read, cache write) of the two calls, as the instrumentation reports them.
OPENAI_CALLS = [(120, 12, 20, 0), (150, 6, 40, 0)]
ANTHROPIC_CALLS = [(150, 12, 20, 10), (190, 6, 40, 0)]  # input counts the cache, as the GenAI conventions do
CLIENT_SPAN = ["other", "anthropic.messages.create"]

CASES = {
    # openai-v2 2.4b0 reports no cache tokens.
    "openai-v2": (OPENAI, [(120, 12, 0, 0), (150, 6, 0, 0)], []),
    "openinference-openai": (OPENAI, OPENAI_CALLS, []),
    # Ours and OpenInference's on the same client: the inner span is part of the outer call.
    "openinference-openai+ours": (OPENAI, OPENAI_CALLS, [["other", "ChatCompletion"]]),
    "openinference-anthropic": (ANTHROPIC, ANTHROPIC_CALLS, [CLIENT_SPAN]),
    "traceloop-anthropic": (ANTHROPIC, ANTHROPIC_CALLS, [CLIENT_SPAN]),
    "ours-anthropic": (ANTHROPIC, ANTHROPIC_CALLS, []),
}


def genai_prices_cost(provider_model: tuple[str, str], calls: list[tuple[int, int, int, int]], at: datetime) -> float:
    provider_id, model = provider_model
    total = Decimal(0)
    for inp, out, cache_read, cache_write in calls:
        usage = genai_prices.Usage(
            input_tokens=inp, output_tokens=out, cache_read_tokens=cache_read, cache_write_tokens=cache_write
        )
        total += genai_prices.calc_price(usage, model, provider_id=provider_id, genai_request_timestamp=at).total_price
    return float(total)


def run(which: str, directory: Path) -> tuple[dict, Path]:
    """One case in its own process (instrumentors and the anthropic SDK's tracing are process-wide)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "AGENTOPS_OTEL_", "ANTHROPIC_"))}
    env.update(AGENTOPS_OTEL_DEBUG="1", PYTHONPATH=str(ROOT))
    result = subprocess.run(
        [sys.executable, str(AGENT), which, str(directory / which)],
        cwd=directory,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"{which}: {result.stderr}"
    return json.loads(result.stdout.strip().splitlines()[-1]), directory / which


@pytest.mark.parametrize("which", list(CASES))
def test_a_real_instrumentation_reads_the_same_live_and_from_an_otlp_file(which: str, tmp_path: Path) -> None:
    provider_model, calls, extra_steps = CASES[which]
    live, out = run(which, tmp_path)
    with_us = open_source(f"file:{out}.live.jsonl").session(live["trace_id"])
    (listed,) = open_source(f"file:{out}.raw.jsonl").sessions()
    raw = open_source(f"file:{out}.raw.jsonl").session(listed.trace_id)
    cost = genai_prices_cost(provider_model, calls, with_us.started_at)
    usage = tuple(map(sum, zip(*calls, strict=True)))

    llm = ["llm", provider_model[1]]
    expected_steps = [["other", "agent run"], llm, *extra_steps, ["tool", "get_weather"], llm, *extra_steps]
    assert live["steps"] == expected_steps
    assert [[s.kind, s.name] for s in with_us.steps] == expected_steps
    assert live["llm_calls"] == with_us.llm_calls == raw.llm_calls == 2
    assert tuple(live["usage"].values())[:4] == astuple(with_us.usage)[:4] == astuple(raw.usage)[:4] == usage
    assert live["cost"] == with_us.cost == pytest.approx(cost, rel=1e-12)
    assert raw.cost == pytest.approx(cost, rel=1e-12)  # priced on read, as live
    assert live["end_state"] == with_us.end_state == "Success"
    assert [s.name for s in raw.llm_events] == [provider_model[1]] * 2
