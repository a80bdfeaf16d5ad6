"""The sessions table: filters, order, traces of other instrumentations, and lookup by id or prefix."""

from __future__ import annotations

import pytest

from agentops_otel import semconv as sc
from agentops_otel.errors import ConfigurationError, SessionNotFoundError
from agentops_otel.model import build_session, summarize
from agentops_otel.sources._store import StoreSource
from agentops_otel.store import LocalStore
from tests.test_store_sample import T0, foreign_trace, span, support_session


@pytest.fixture
def store_path(tmp_path):
    path = tmp_path / "traces.db"
    with LocalStore(path) as store:
        store.write(support_session(1, fail=True, tags=("support", "v2.1"), start_offset_s=10))
        store.write(support_session(2, fail=False, tags=("support",), start_offset_s=20, service="billing"))
        store.write(support_session(3, fail=False, tags=("beta",), start_offset_s=30))
    return path


def _ids(summaries):
    return [s.session_id for s in summaries]


def test_sessions_are_listed_newest_first(store_path):
    assert _ids(StoreSource(store_path).sessions()) == ["sess-0003-7f3a", "sess-0002-7f3a", "sess-0001-7f3a"]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"tags": ["support"]}, [2, 1]),
        ({"tags": ["support", "v2.1"]}, [1]),
        ({"tags": ["nope"]}, []),
        ({"status": "Fail"}, [1]),
        ({"status": "success"}, [3, 2]),
        ({"status": "open"}, []),
        ({"service": "billing"}, [2]),
        ({"since_ns": T0 + 20 * 10**9}, [3, 2]),
        ({"limit": 1}, [3]),
        ({"tags": ["support"], "status": "Success", "limit": 5}, [2]),
    ],
)
def test_filters_combine_with_and(store_path, filters, expected):
    assert _ids(StoreSource(store_path).sessions(**filters)) == [f"sess-{n:04d}-7f3a" for n in expected]


def test_an_unknown_status_or_a_bad_limit_is_a_configuration_error(store_path):
    with pytest.raises(ConfigurationError, match="Success, Fail, Indeterminate, Crashed, open"):
        StoreSource(store_path).sessions(status="failed")
    with pytest.raises(ConfigurationError, match="at least 1"):
        StoreSource(store_path).sessions(limit=0)


def test_a_session_whose_root_is_still_running_is_listed_as_open(tmp_path):
    path = tmp_path / "traces.db"
    children = support_session(4)[1:]
    with LocalStore(path) as store:
        store.write(children)
        (listed,) = store.sessions()
        assert listed.end_state is None and listed.session_id == "sess-0004-7f3a"
        assert _ids(store.sessions(status="open")) == ["sess-0004-7f3a"]
        store.write(support_session(4)[:1])  # the root ends last, in a later batch
        (listed,) = store.sessions()
    assert listed == summarize(build_session(support_session(4)))


def test_a_trace_of_another_instrumentation_is_listed_with_its_root_standing_in(tmp_path):
    path = tmp_path / "traces.db"
    with LocalStore(path) as store:
        store.write(foreign_trace(1, fail_child=True))
        store.write(foreign_trace(2, fail_child=False))
        by_trace = {s.trace_id: s for s in store.sessions()}
    for n, state in ((1, "Fail"), (2, "Indeterminate")):
        records = foreign_trace(n, fail_child=n == 1)
        listed = by_trace[records[0].trace_id]
        assert listed.end_state == state
        assert listed == summarize(build_session(records))


def test_a_root_stored_before_its_genai_children_still_names_the_session(tmp_path):
    from dataclasses import replace

    agent_root, llm = foreign_trace(5, fail_child=True)
    http_root = replace(agent_root, name="POST /chat", attributes={"http.route": "/chat"})
    records = [http_root, llm]
    with LocalStore(tmp_path / "traces.db") as store:
        store.write(records[:1])
        assert store.sessions() == []  # a lone non-GenAI span is not a session
        store.write(records[1:])
        (listed,) = store.sessions()
    assert listed == summarize(build_session(records))


def test_traces_without_genai_spans_are_not_listed_but_open_by_trace_id(tmp_path):
    http = span("c" * 32, "d" * 16, None, "GET /health", 0, 1, {"http.route": "/health"})
    with LocalStore(tmp_path / "traces.db") as store:
        store.write([http])
        assert store.sessions() == []
    session = StoreSource(tmp_path / "traces.db").session("cccc")
    assert session.trace_id == "c" * 32 and session.root.name == "GET /health"


@pytest.mark.parametrize("ident", ["sess-0002-7f3a", "sess-0002", "00000002abab", "00000002" + "ab" * 12])
def test_a_session_opens_by_session_id_trace_id_or_a_unique_prefix(store_path, ident):
    session = StoreSource(store_path).session(ident)
    assert session.session_id == "sess-0002-7f3a"
    assert session == build_session(support_session(2, fail=False, tags=("support",), start_offset_s=20,
                                                     service="billing"))  # fmt: skip


def test_an_ambiguous_prefix_names_the_candidates(store_path):
    with pytest.raises(SessionNotFoundError, match="matches 3 sessions") as info:
        StoreSource(store_path).session("sess-000")
    for n in (1, 2, 3):
        assert f"sess-{n:04d}-7f3a" in str(info.value)


def test_an_unknown_id_says_how_to_list_sessions(store_path):
    with pytest.raises(SessionNotFoundError, match="agentops-otel sessions"):
        StoreSource(store_path).session("zzz")


def test_an_exact_id_wins_over_longer_ids_it_prefixes(tmp_path):
    path = tmp_path / "traces.db"
    short = [
        r if r.attributes.get(sc.SESSION_ID) is None else _with_session_id(r, "sess-0001") for r in support_session(1)
    ]
    with LocalStore(path) as store:
        store.write(short)
        store.write(support_session(2, start_offset_s=5))
    assert StoreSource(path).session("sess-0001").trace_id == short[0].trace_id


def _with_session_id(record, session_id):
    from dataclasses import replace

    return replace(record, attributes={**record.attributes, sc.SESSION_ID: session_id})


def test_summaries_total_tokens_and_cost_and_say_when_cost_is_unknown(tmp_path):
    from tests.test_store_sample import llm_attrs

    records = support_session(1)
    root = records[0]
    unpriced = span(root.trace_id, "9" * 16, root.span_id, "chat mystery", 5, 6,
                    llm_attrs("sess-0001-7f3a", "q", "a", (7, 3), None))  # fmt: skip
    with LocalStore(tmp_path / "traces.db") as store:
        store.write(records)
        (priced,) = store.sessions()
        store.write([unpriced])
        (partial,) = store.sessions()
    assert priced.cost == pytest.approx(0.00034) and priced.usage.input_tokens == 120
    assert partial.cost is None and not partial.cost_complete
    assert partial.usage.input_tokens == 127 and partial.llm_calls == 2
    assert partial == summarize(build_session([*records, unpriced]))


def test_a_stray_parentless_span_does_not_replace_the_session_root(tmp_path):
    records = support_session(1)
    stray = span(records[0].trace_id, "7" * 16, None, "late orphan", 5000, 5001, {"x": 1})
    with LocalStore(tmp_path / "traces.db") as store:
        store.write(records)
        store.write([stray])
        (listed,) = store.sessions()
    assert listed == summarize(build_session([*records, stray]))
    assert listed.name == "support-agent" and listed.end_state == "Fail"
