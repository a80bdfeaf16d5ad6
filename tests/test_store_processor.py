"""The pipeline's store processor never drops a span and never makes the application write."""

import threading

from opentelemetry.sdk.trace import TracerProvider

from agentops_otel.store import LocalStore, LocalStoreExporter, LocalStoreProcessor


def test_a_burst_far_beyond_the_queue_reaches_the_store_whole(tmp_path):
    path = tmp_path / "traces.db"
    processor = LocalStoreProcessor(LocalStoreExporter(path), max_memory=256, batch=64)
    provider = TracerProvider()
    provider.add_span_processor(processor)
    tracer = provider.get_tracer("burst")

    def burst():
        for _ in range(5_000):
            tracer.start_span("step").end()

    threads = [threading.Thread(target=burst) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    provider.shutdown()
    with LocalStore(path) as store:
        assert store.span_count() == 20_000
    assert processor.exporter.failed_spans == 0
    assert processor.spilled_spans == 0  # nothing held the store: everything went straight in


def test_spans_still_queued_at_shutdown_are_written(tmp_path):
    path = tmp_path / "traces.db"
    processor = LocalStoreProcessor(LocalStoreExporter(path), max_memory=100_000, batch=100_000)
    provider = TracerProvider()
    provider.add_span_processor(processor)
    for i in range(300):
        provider.get_tracer("t").start_span(f"s{i}").end()
    provider.shutdown()
    with LocalStore(path) as store:
        assert store.span_count() == 300


def test_a_span_ended_after_shutdown_is_still_stored(tmp_path):
    processor = LocalStoreProcessor(LocalStoreExporter(tmp_path / "traces.db"))
    provider = TracerProvider()
    span = provider.get_tracer("t").start_span("late")
    span.end()
    processor.shutdown()
    processor.on_end(span)  # what a span ending in an exit hook that runs after ours looks like
    with LocalStore(tmp_path / "traces.db") as store:
        assert store.span_count() == 1
    assert processor.exporter.failed_spans == 0


def test_a_running_session_is_listed_with_its_name_and_tags(tmp_path):
    from agentops_otel import semconv as sc

    path = tmp_path / "traces.db"
    processor = LocalStoreProcessor(LocalStoreExporter(path))
    provider = TracerProvider()
    provider.add_span_processor(processor)
    root_attrs = {
        sc.AGENTOPS_SPAN_TYPE: "session",
        sc.SESSION_ID: "s-running",
        sc.AGENTOPS_SESSION_TAGS: ("billing",),
        sc.AGENTOPS_SESSION_NAME: "triage",
    }
    root = provider.get_tracer("t").start_span("session triage", attributes=root_attrs)
    processor.force_flush()
    with LocalStore(path) as store:
        (running,) = store.sessions(tags=["billing"])
    assert (running.session_id, running.name, running.end_state, running.end_ns) == ("s-running", "triage", None, None)
    root.end()
    provider.shutdown()
    with LocalStore(path) as store:
        (ended,) = store.sessions(tags=["billing"])
        assert ended.end_ns is not None and store.span_count() == 1  # the ended root replaced the open one
