"""`agentops-otel check`: the same numbers and verdicts from the local store, an OTLP file, Jaeger, Tempo."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, Status, StatusCode, set_span_in_context

from agentops_otel import semconv as sc
from agentops_otel.cli import main
from agentops_otel.gate import statistic
from agentops_otel.model import from_readable_span
from agentops_otel.store import LocalStore
from tests._sources_shapes import jaeger_response, jaeger_trace, otlp_dict, serve_json

T0 = 1_767_225_600_000_000_000  # 2026-01-01T00:00:00Z
SINCE = "2025-12-31T00:00:00+00:00"
SECOND = 1_000_000_000


def _session(index: int, costs: list[float | None], fail: bool, tag: str = "ci") -> list[ReadableSpan]:
    """A session with one LLM span per entry of `costs` (None: a call that could not be priced)."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({sc.SERVICE_NAME: "support-bot"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("agentops_otel")
    start = T0 + index * 10 * SECOND
    stamp = {sc.SESSION_ID: f"gate-{index:02d}"}
    root = tracer.start_span(
        "session gate",
        start_time=start,
        attributes={
            **stamp,
            sc.AGENTOPS_SPAN_TYPE: sc.SpanTypeValues.SESSION,
            sc.AGENTOPS_SESSION_NAME: f"gate-{index}",
            sc.AGENTOPS_SESSION_TAGS: (tag,),
            sc.AGENTOPS_SESSION_END_STATE: "Fail" if fail else "Success",
        },
    )
    ctx = set_span_in_context(root)
    for n, cost in enumerate(costs):
        attrs: dict[str, Any] = {
            **stamp,
            sc.GEN_AI_OPERATION_NAME: "chat",
            sc.GEN_AI_REQUEST_MODEL: "gpt-4o",
            sc.GEN_AI_USAGE_INPUT_TOKENS: 10,
            sc.GEN_AI_USAGE_OUTPUT_TOKENS: 2,
        }
        if cost is None:
            attrs[sc.AGENTOPS_COST_STATUS] = sc.CostStatusValues.UNPRICED
        else:
            attrs[sc.AGENTOPS_COST_STATUS] = sc.CostStatusValues.PRICED
            attrs[sc.AGENTOPS_COST_USD] = cost
        llm = tracer.start_span(
            "chat gpt-4o", context=ctx, kind=SpanKind.CLIENT, start_time=start + n * 1000, attributes=attrs
        )
        llm.end(end_time=start + n * 1000 + 500)
    root.set_status(Status(StatusCode.ERROR if fail else StatusCode.OK))
    root.end(end_time=start + SECOND)
    return list(exporter.get_finished_spans())


def _fleet(unpriced: bool = False) -> list[list[ReadableSpan]]:
    """20 sessions tagged ci: 2 failed, costs 0.001..0.020 (one LLM call per 0.001), plus 3 tagged nightly."""
    sessions = []
    for i in range(20):
        costs: list[float | None] = [0.001] * (i + 1)
        if unpriced and i == 4:
            costs[0] = None
        sessions.append(_session(i, costs, fail=i in (3, 11)))
    sessions += [_session(20 + i, [0.5], fail=True, tag="nightly") for i in range(3)]
    return sessions


@pytest.fixture
def sources(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    fleet = _fleet(unpriced=getattr(request, "param", False))
    records = [[from_readable_span(s) for s in spans] for spans in fleet]
    with LocalStore(tmp_path / "traces.db") as store:
        for group in records:
            store.write(group)
    path = tmp_path / "traces.jsonl"
    path.write_text("".join(json.dumps(otlp_dict(spans)) + "\n" for spans in fleet))
    traces = [jaeger_trace(group) for group in records]
    tempo = {
        group[0].trace_id: {"trace": otlp_dict(spans, ids="base64", int_enums=False)}
        for group, spans in zip(records, fleet, strict=True)
    }

    def route(p: str, q: dict[str, list[str]]) -> tuple[int, Any]:
        if p == "/jaeger/api/services":
            return 200, {"data": ["support-bot"], "total": 1}
        if p == "/jaeger/api/traces":
            return 200, jaeger_response(traces)
        if p == "/tempo/api/search":
            return 200, {"traces": [{"traceID": trace_id} for trace_id in tempo]}
        if p.startswith("/tempo/api/v2/traces/") and p.rsplit("/", 1)[1] in tempo:
            return 200, tempo[p.rsplit("/", 1)[1]]
        return 404, {"data": None, "errors": [{"code": 404, "msg": "not found"}]}

    with serve_json(route) as (base, _):
        yield {
            "store": f"store:{tmp_path / 'traces.db'}",
            "file": f"file:{path}",
            "jaeger": f"jaeger:{base}/jaeger",
            "tempo": f"tempo:{base}/tempo",
        }


def _check(source: str, *args: str) -> tuple[int, str]:
    """Run `agentops-otel check` as the CLI runs it (errors printed on stderr, exit status)."""
    result = CliRunner().invoke(main, ["check", "--source", source, "--since", SINCE, *args])
    return result.exit_code, result.output + result.stderr


def _json(source: str, *args: str) -> dict[str, Any]:
    result = CliRunner().invoke(main, ["check", "--source", source, "--since", SINCE, "--json", *args])
    code, out = result.exit_code, result.stdout
    data = json.loads(out)
    data["exit_code"] = code
    del data["source"]
    return data


def test_the_same_numbers_from_store_file_jaeger_and_tempo(sources: dict[str, str]) -> None:
    args = ("--tag", "ci", "--max-failure-rate", "0.05", "--max-cost", "0.02", "--max-llm-calls", "20")
    answers = {name: _json(spec, *args) for name, spec in sources.items()}
    assert answers["store"] == answers["file"] == answers["jaeger"] == answers["tempo"]
    store = answers["store"]
    assert store["sessions"] == 20 and store["exit_code"] == 1 and store["ok"] is False
    rate, cost, calls = store["checks"]
    assert rate == {
        "metric": "failure rate",
        "measured": 0.1,
        "threshold": 0.05,
        "ok": False,
        "detail": "2 failed of 20 ended",
    }
    assert cost["metric"] == "cost per session (p95)" and cost["measured"] == pytest.approx(0.019) and cost["ok"]
    assert calls["metric"] == "LLM calls per session (max)" and calls["measured"] == 20 and calls["ok"]


def test_thresholds_that_hold_exit_zero_and_the_table_says_so(sources: dict[str, str]) -> None:
    code, out = _check(sources["file"], "--tag", "ci", "--max-failure-rate", "0.10", "--max-cost", "0.0201")
    assert code == 0, out
    assert out.splitlines()[0].startswith(f"20 sessions from {sources['file']} (since 2025-12-31 00:00:00 UTC, tag=ci)")
    assert re.search(r"^failure rate\s+10\.0%\s+<= 10\.0%\s+ok", out, re.MULTILINE), out
    assert "ok: every threshold holds" in out


@pytest.mark.parametrize(
    ("stat", "expected", "shown"),
    [("max", 0.02, "$0.02"), ("p95", 0.019, "$0.019"), ("mean", 0.0105, "$0.0105"), ("total", 0.21, "$0.21")],
)
def test_cost_statistics(sources: dict[str, str], stat: str, expected: float, shown: str) -> None:
    data = _json(sources["store"], "--tag", "ci", "--cost-stat", stat)
    assert data["checks"][1]["measured"] == pytest.approx(expected)
    assert data["checks"][1]["metric"] == ("total cost" if stat == "total" else f"cost per session ({stat})")
    text = _check(sources["store"], "--tag", "ci", "--cost-stat", stat, "--max-cost", "1")[1]
    row = rf"^{re.escape(data['checks'][1]['metric'])}\s+{re.escape(shown)}\s+<= \$1\.00\s+ok\s"
    assert re.search(row, text, re.MULTILINE), text
    assert data["exit_code"] == 0


def test_tag_and_service_filters(sources: dict[str, str]) -> None:
    nightly = _json(sources["jaeger"], "--tag", "nightly", "--max-cost", "0.1", "--cost-stat", "max")
    assert nightly["sessions"] == 3 and nightly["checks"][1]["ok"] is False and nightly["exit_code"] == 1
    assert _json(sources["store"], "--service", "support-bot")["sessions"] == 23
    none = _check(sources["store"], "--service", "other-bot")
    assert none[0] == 1 and "FAILED: 0 sessions matched, --min-sessions is 1" in none[1]
    assert _check(sources["store"], "--service", "other-bot", "--min-sessions", "0")[0] == 0


@pytest.mark.parametrize("sources", [True], indirect=True)
def test_unpriced_sessions_are_reported_not_counted_as_zero(sources: dict[str, str]) -> None:
    data = _json(sources["file"], "--tag", "ci", "--max-cost", "1")
    assert data["unpriced_sessions"] == 1 and data["exit_code"] == 1
    cost = data["checks"][1]
    assert cost["measured"] is None and cost["ok"] is False
    assert cost["detail"].startswith("1 session(s) have LLM calls that could not be priced: cost unknown")
    allowed = _json(sources["file"], "--tag", "ci", "--max-cost", "1", "--allow-unpriced", "--cost-stat", "max")
    assert allowed["exit_code"] == 0 and allowed["checks"][1]["detail"] == "19 priced sessions, 1 unpriced left out"


def test_usage_errors_and_unreachable_sources_exit_two(tmp_path: Path) -> None:
    code, out = _check(f"store:{tmp_path / 'x.db'}", "--cost-stat", "median")
    assert code == 2 and "'median' is not one of 'max', 'p95', 'mean', 'total'" in out
    code, out = _check(f"store:{tmp_path / 'x.db'}", "--since", "yesterday-ish")
    assert code == 2 and "neither a duration" in out
    with serve_json(lambda p, q: (200, {})) as (base, _):
        dead = base
    code, out = _check(f"jaeger:{dead}")
    assert code == 2 and out.startswith("error: ") and "cannot connect" in out
    bad = tmp_path / "broken.jsonl"
    bad.write_text('{"resourceSpans": [')
    code, out = _check(f"file:{bad}")
    assert code == 2 and str(bad) in out
    code, out = _check("nonsense-spec")
    assert code == 2 and "cannot tell what kind of source" in out


def test_nearest_rank_percentile() -> None:
    assert statistic([5.0], "p95") == 5.0
    assert statistic([float(v) for v in range(1, 101)], "p95") == 95.0
    assert statistic([1.0, 2.0], "p95") == 2.0
