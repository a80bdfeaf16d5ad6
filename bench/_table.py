"""The benchmarks of issue 9: what each one measures, its baseline from the same run, and its target.

A Measure is one fresh process (`bench/cases/SCRIPT.py VARIANT`, in a peer's venv when `env` is set).
A Target compares two measures' medians (or judges one absolutely).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Measure:
    key: str
    script: str
    variant: str
    about: str
    env: str | None = None  # a venv from bench/_envs.py; None: this interpreter (the project's venv)


@dataclass(frozen=True)
class Target:
    """kind: 'ratio<=' subject/baseline, 'faster>=' baseline/subject, 'added<=' subject-baseline
    (divided by `per` when set), '<=' / '>=' the subject alone."""

    text: str
    kind: str
    limit: float
    subject: str
    baseline: str | None = None
    per: float = 1.0
    unit: str = ""


@dataclass(frozen=True)
class Benchmark:
    name: str
    title: str
    measures: tuple[Measure, ...]
    targets: tuple[Target, ...]
    repeat_factor: float = 1.0  # relative to --repeat (expensive cases run fewer times)
    needs_sink: bool = False


M = Measure
T = Target

BENCHMARKS: tuple[Benchmark, ...] = (
    Benchmark(
        "paired",
        "per-call cases, subject and baseline batches alternated in one process (the headline)",
        (
            M("tool", "paired", "tool", "@record_tool / bare span with the same 6 attributes by set_attribute"),
            M("action", "paired", "action", "@record_action / bare span with the same 5 attributes"),
            M("start-attrs", "paired", "start-attributes", "bare span, attributes at start / one by one"),
            M("session", "paired", "session", "session() + 100 @record_tool / root + 100 bare spans"),
            M("agentops-tool", "peers", "agentops-paired", "AgentOps 0.4 @tool / bare span in its venv", "agentops"),
            M("traceloop-tool", "peers", "traceloop-paired", "Traceloop @tool / bare span in its venv", "traceloop"),
            M("openlit-trace", "peers", "openlit-paired", "OpenLIT @trace / bare span in its venv", "openlit"),
            M("cost", "paired", "cost", "LLM span through CostProcessor minus without (us added)"),
            M("off-no-init", "paired", "off-no-init", "@record_tool without init() minus the plain call"),
            M("off-sampled-out", "paired", "off-sampled-out", "@record_tool sampled out minus the plain call"),
        ),
        (
            T("record_tool <= 1.0x the bare span", "<=", 1.0, "tool", unit="x"),
            T("record_action <= 1.0x the bare span", "<=", 1.0, "action", unit="x"),
            T("session of 1+100 steps <= 1.1x", "<=", 1.1, "session", unit="x"),
            T(">= 2x faster than AgentOps @tool (ratio of ratios)", "faster>=", 2.0, "tool", "agentops-tool"),
            T(">= 1.5x faster than Traceloop @tool (ratio of ratios)", "faster>=", 1.5, "tool", "traceloop-tool"),
            T("cost processor <= 10 us per LLM span", "<=", 10.0, "cost", unit="us"),
            T("no init(): <= 3 us added", "<=", 3.0, "off-no-init", unit="us"),
            T("sampled out: <= 3 us added", "<=", 3.0, "off-sampled-out", unit="us"),
        ),
    ),
    Benchmark(
        "threads",
        "8 threads running sessions of decorated calls: ours / bare SDK calls per second, alternated phases",
        tuple(M(f"seed-{n}", "threads", f"seed-{n}", f"PYTHONHASHSEED={n}") for n in range(5)),
        tuple(T(f"seed {n}: >= 0.9x the bare SDK's calls/s", ">=", 0.9, f"seed-{n}", unit="x") for n in range(5)),
        repeat_factor=0.2,
    ),
    Benchmark(
        "tool-call",
        "decorated tool call in a session (arguments and result captured)",
        (
            M(
                "bare-sdk",
                "spans",
                "bare-span",
                "bare SDK span, our 6 attributes by set_attribute, BatchSpanProcessor, dropping exporter",
            ),
            M("bare-sdk-start-attrs", "spans", "bare-span-start-attributes", "same, attributes passed at span start"),
            M("ours-record_tool", "spans", "ours-tool", "@record_tool in a session, init() on the same provider"),
            M("ours-record_action", "spans", "ours-action", "@record_action in a session"),
            M("agentops-tool", "peers", "agentops-tool", "AgentOps 0.4 @tool in a session", env="agentops"),
            M("traceloop-tool", "peers", "traceloop-tool", "Traceloop @tool in a workflow", env="traceloop"),
            M("openlit-trace", "peers", "openlit-trace", "OpenLIT @trace", env="openlit"),
        ),
        (
            T("record_tool / bare SDK <= 1.0", "ratio<=", 1.0, "ours-record_tool", "bare-sdk"),
            T("record_action / bare SDK <= 1.0", "ratio<=", 1.0, "ours-record_action", "bare-sdk"),
            T(">= 2.5x faster than AgentOps @tool", "faster>=", 2.5, "ours-record_tool", "agentops-tool"),
            T(">= 1.8x faster than Traceloop @tool", "faster>=", 1.8, "ours-record_tool", "traceloop-tool"),
        ),
    ),
    Benchmark(
        "tracing-off",
        "decorated call with tracing off",
        (
            M("plain", "spans", "plain", "the undecorated function"),
            M("ours-no-init", "spans", "off-no-init", "@record_tool, no init() and no SDK provider"),
            M("ours-sampled-out", "spans", "off-sampled-out", "@record_tool inside a session sampled out"),
            M("otel-noop-api", "spans", "otel-noop-api", "the no-op OpenTelemetry API (span + 3 attributes)"),
            M("agentops-off", "peers", "agentops-off", "AgentOps @tool before agentops.init()", env="agentops"),
            M("traceloop-off", "peers", "traceloop-off", "Traceloop @tool before Traceloop.init()", env="traceloop"),
        ),
        (
            T("no init(): <= 3 us added", "added<=", 3.0, "ours-no-init", "plain", unit="us"),
            T("sampled out: <= 3 us added", "added<=", 3.0, "ours-sampled-out", "plain", unit="us"),
        ),
    ),
    Benchmark(
        "session",
        "session of 1 root + 100 tool steps",
        (
            M("bare-sdk", "sessions", "bare", "root span + 100 bare SDK spans (our 6 attributes each)"),
            M("ours", "sessions", "ours", "session() + 100 @record_tool calls"),
        ),
        (T("ours / bare SDK <= 1.1", "ratio<=", 1.1, "ours", "bare-sdk"),),
    ),
    Benchmark(
        "session-rss",
        "RSS growth over 10,000 sessions (1 root + 5 steps each)",
        (
            M("bare-sdk", "sessions", "bare-rss", "bare SDK spans of the same shape"),
            M("ours", "sessions", "ours-rss", "session() + @record_tool steps"),
        ),
        (
            T("ours <= 2 MB", "<=", 2.0, "ours", unit="MB"),
            T("ours - bare SDK <= 2 MB", "added<=", 2.0, "ours", "bare-sdk", unit="MB"),
        ),
        repeat_factor=0.2,
    ),
    Benchmark(
        "startup",
        "fresh process to first span exported (OTLP/HTTP to a loopback sink)",
        (
            M("bare-sdk", "startup", "bare", "import SDK + OTLP exporter, provider, span, flush"),
            M("ours", "startup", "ours-otlp", "import agentops_otel; init() (OTLP), session, flush"),
            M("ours-store", "startup", "ours-store", "import agentops_otel; init() (default: local store)"),
            M("agentops", "peers", "agentops-startup", "import agentops; init(); session; flush", env="agentops"),
            M("traceloop", "peers", "traceloop-startup", "Traceloop.init(); workflow; flush", env="traceloop"),
            M("openlit", "peers", "openlit-startup", "openlit.init(); trace; flush", env="openlit"),
        ),
        (T("ours / bare SDK <= 1.5", "ratio<=", 1.5, "ours", "bare-sdk"),),
        repeat_factor=1.4,
        needs_sink=True,
    ),
    Benchmark(
        "llm-call",
        "OpenAI chat call through the instrumented client (loopback server in its own process)",
        (
            M("plain", "llm", "plain", "uninstrumented openai client"),
            M("ours", "llm", "ours", "instrumented by init(), in a session"),
            M("added", "llm", "added-interleaved", "instrumented minus plain, batches alternated in one process"),
        ),
        (
            T("<= 150 us added per call (alternated)", "<=", 150.0, "added", unit="us"),
            T("<= 150 us added per call (separate processes)", "added<=", 150.0, "ours", "plain", unit="us"),
        ),
        repeat_factor=2.0,  # a loopback HTTP call varies by ~20% between processes: more of them
    ),
    Benchmark(
        "llm-stream",
        "OpenAI streaming chat call, 400 chunks",
        (
            M("plain", "llm", "plain-stream", "uninstrumented client, stream read to the end"),
            M("ours", "llm", "ours-stream", "instrumented, in a session"),
            M("added", "llm", "added-interleaved-stream", "per chunk, batches alternated in one process"),
        ),
        (
            T("<= 5 us added per chunk (alternated)", "<=", 5.0, "added", unit="us"),
            T("<= 5 us added per chunk (separate processes)", "added<=", 5.0, "ours", "plain", per=400, unit="us"),
        ),
        repeat_factor=2.0,
    ),
    Benchmark(
        "cost",
        "cost processor on LLM spans",
        (
            M("without", "pipeline", "llm-spans-plain", "LLM spans through BatchSpanProcessor only"),
            M("with", "pipeline", "llm-spans-cost", "the same wrapped by CostProcessor"),
        ),
        (T("<= 10 us added per LLM span", "added<=", 10.0, "with", "without", unit="us"),),
    ),
    Benchmark(
        "compat-keys",
        "compatibility keys for Phoenix and Langfuse (AGENTOPS_OTEL_COMPAT=all), off by default",
        (
            M("llm-cost", "pipeline", "llm-spans-cost", "LLM spans through CostProcessor (keys off)"),
            M("llm-keys", "pipeline", "llm-spans-compat", "the same with the keys on"),
            M("tool-plain", "pipeline", "tool-spans-plain", "tool spans through BatchSpanProcessor only"),
            M("tool-cost", "pipeline", "tool-spans-cost", "tool spans through CostProcessor (keys off)"),
            M("tool-keys", "pipeline", "tool-spans-compat", "the same with the keys on"),
        ),
        (
            T(
                "<= 5 us added per tool span by the cost processor",
                "added<=",
                5.0,
                "tool-cost",
                "tool-plain",
                unit="us",
            ),
            T("<= 15 us added per LLM span by the keys", "added<=", 15.0, "llm-keys", "llm-cost", unit="us"),
            T("<= 15 us added per tool span by the keys", "added<=", 15.0, "tool-keys", "tool-cost", unit="us"),
        ),
    ),
    Benchmark(
        "redaction",
        "credentials masked: one content text, and the net over an ended span",
        (
            M("prompt-2k", "redaction", "prompt-2k", "a 2 KB prompt (GenAI messages JSON)"),
            M("history-16k", "redaction", "history-16k", "a 16 KB history (the default content limit)"),
            M("prompt-2k-keys", "redaction", "prompt-2k-with-credentials", "2 KB holding a key and a password"),
            M("net-tool-span", "redaction", "net-tool-span", "the net over an ended tool span"),
            M("net-llm-span", "redaction", "net-llm-span", "the net over an LLM span with 2.6 KB of content"),
        ),
        (
            T("<= 30 us per 2 KB prompt", "<=", 30.0, "prompt-2k", unit="us"),
            T("<= 40 us per LLM span (net, 2.6 KB of content)", "<=", 40.0, "net-llm-span", unit="us"),
            T("<= 5 us per tool span (net)", "<=", 5.0, "net-tool-span", unit="us"),
        ),
    ),
    Benchmark(
        "store-write",
        "local store write (LocalStoreProcessor.on_end of every span, then a flush)",
        (M("store", "pipeline", "store-write", "the processor's queue, writer thread and SQLite (WAL), CPU"),),
        (T(">= 20,000 spans/s", ">=", 20_000, "store", unit="spans/s"),),
    ),
    Benchmark(
        "busy-agent",
        "a busy agent's OTLP bytes: 8 agents, one LLM turn (real openai client, content) + 3 tools a second",
        (M("memory", "delivery", "busy-agent", "minutes of that agent the default 64 MiB memory bound holds"),),
        (T("the memory bound holds >= 1 minute", ">=", 1.0, "memory", unit="minutes"),),
        repeat_factor=0.2,
    ),
    Benchmark(
        "exit-hanging",
        "a run's wall time when its OTLP backend never answers (default 10 s OTLP timeout = exit deadline)",
        (M("run", "delivery", "exit-hanging", "10 sessions, OTLP + store, then exit; the spans go to the spool"),),
        (T("run <= 10 s deadline + 2 s start-up", "<=", 12.0, "run", unit="s"),),
        repeat_factor=0.2,
    ),
    Benchmark(
        "pool-session-end",
        "session end in fork-pool workers whose OTLP backend never answers",
        (M("slowest", "delivery", "pool-session-end", "slowest of 8 tasks (one session of 10 spans each)"),),
        (T("slowest task <= 0.1 s (it waited the 10 s timeout)", "<=", 0.1, "slowest", unit="s"),),
        repeat_factor=0.2,
    ),
    Benchmark(
        "store-locked",
        "the agent's slowest call while another process holds BEGIN EXCLUSIVE on the store for 10 s",
        (
            M("unlocked", "delivery", "store-unlocked", "the same loop, nobody holding the store (baseline)"),
            M("slowest", "delivery", "store-locked", "a decorated step a millisecond, the lock held throughout"),
        ),
        # Under one write's lock wait (0.25 s): the agent never waits for SQLite (it waited up to 30 s).
        (T("slowest call <= 250 ms (it waited the 30 s busy timeout)", "<=", 250.0, "slowest", unit="ms"),),
        repeat_factor=0.2,
    ),
    Benchmark(
        "outage-60s",
        "default settings, the OTLP backend down for a 60 s run of 8 agents (a turn a second), then up",
        (M("survived", "delivery", "outage-60s", "share of the run's spans the backend receives, each once"),),
        (T("every span survives", ">=", 1.0, "survived", unit="share"),),
        repeat_factor=0.2,
    ),
    Benchmark(
        "replay",
        "`agentops-otel replay ID` of a 10,000-span session in the store, a fresh process (CPU)",
        (
            M("text", "readback", "replay-text", "replay ID: the terminal timeline"),
            M("html", "readback", "replay-html", "replay ID --html OUT"),
        ),
        (T("text <= 1 s", "<=", 1.0, "text", unit="s"), T("HTML <= 2 s", "<=", 2.0, "html", unit="s")),
        repeat_factor=0.6,
    ),
    Benchmark(
        "replay-page",
        "the replay page of a 10,000-step agent session (issue 18)",
        (
            M("write", "page", "write", "Session -> HTML file, CPU"),
            M("size", "page", "size", "the page file"),
            M("cli", "page", "cli", "`agentops-otel replay ID --html` in a fresh process, CPU"),
            M("load", "page", "load", "Chromium: the load event (Performance API)"),
            M("longest-task", "page", "longest-task", "Chromium: the longest task until the page is ready"),
            M("serve", "page", "serve", "viewer: the page's first answer, wall (cached_s: the second)"),
        ),
        (
            T("written in <= 1.5 s", "<=", 1.5, "write", unit="s"),
            T("<= 4 MB", "<=", 4.0, "size", unit="MB"),
            T("load event <= 1 s", "<=", 1000, "load", unit="ms"),
            T("no task over 100 ms", "<=", 100, "longest-task", unit="ms"),
        ),
        repeat_factor=0.6,
    ),
    Benchmark(
        "check-scale",
        "`check` over a store of 100,000 sessions (every one rated, totals summed in SQL), a fresh process",
        (
            M("cpu", "scale", "check-store", "check --since 3650d --max-failure-rate 0.05 --json, CPU"),
            M("peak", "scale", "check-store-peak", "the same, peak RSS (VmHWM)"),
        ),
        (T("under 2 s", "<=", 2.0, "cpu", unit="s"), T("under 100 MB", "<=", 100.0, "peak", unit="MB")),
        repeat_factor=0.4,
    ),
    Benchmark(
        "readers-scale",
        "streaming readers: a 1,000,000-span OTLP file, a session of 100,000 steps",
        (
            M("otlp-file", "scale", "otlp-file", "sessions, check, replay ID on the file: the highest peak"),
            M("long-session", "scale", "long-session", "replay ID of 100,000 steps: text, --json, --html, peak"),
            M("long-page", "scale", "long-page", "that HTML page in Chromium: interactive (ready mark)"),
        ),
        (
            T("1M-span file: every command under 500 MB", "<=", 500.0, "otlp-file", unit="MB"),
            T("100,000 steps: text, HTML, JSON under 300 MB", "<=", 300.0, "long-session", unit="MB"),
            T("100,000-step page interactive under 2 s", "<=", 2000.0, "long-page", unit="ms"),
        ),
        repeat_factor=0.2,
    ),
    Benchmark(
        "otlp-reader",
        "OTLP JSON reader end to end: `agentops-otel sessions --source file:` (Collector lines, 100,000 spans)",
        (M("reader", "readback", "otlp-read", "a fresh process: read, price, build, list every session"),),
        (T(">= 50,000 spans/s", ">=", 50_000, "reader", unit="spans/s"),),
    ),
    Benchmark(
        "first-llm-call",
        "the first LLM call after init() against the second, the caller's wall time (issue 14)",
        (
            M("first", "truthful", "first-llm", "first instrumented call after init() (client warmed before)"),
            M("second", "truthful", "second-llm", "the call after it"),
        ),
        (T("first <= 1.2x the second", "ratio<=", 1.2, "first", "second"),),
        repeat_factor=2.0,  # wall time of one loopback call: more repetitions
    ),
    Benchmark(
        "end-session",
        "end_session() of a 5,000-step session, the caller's wall time (issue 14)",
        (M("end", "truthful", "end-session", "start_session() + 5,000 @record_tool steps, then end_session()"),),
        (T("<= 5 ms for the caller", "<=", 5.0, "end", unit="ms"),),
        repeat_factor=0.6,
    ),
)

# `run.py --headline`: the paired run (the claim) and the separate-process hot-path figures beside it.
HEADLINE = ("paired", "threads", "tool-call", "session", "llm-call", "llm-stream", "cost", "startup", "session-rss")
