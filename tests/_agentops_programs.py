"""Run a program written for AgentOps (its import line changed to `import agentops_otel as agentops`)
in a process of its own, the real openai / anthropic clients pointed at the loopback LLM server by the
environment variables those clients read (OPENAI_BASE_URL, ANTHROPIC_BASE_URL), and read back what it
recorded from its local store, as a user would with `agentops-otel sessions`.

Nothing of the test suite's environment leaks in: AgentOps' and our variables are cleared, so
init() auto-starts its session as it does for a user.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentops_otel import semconv as sc
from agentops_otel.model import Session
from agentops_otel.sources import open_source
from agentops_otel.testing.llm_server import FAKE_ANTHROPIC_KEY, FAKE_OPENAI_KEY, LLMServer


@dataclass(frozen=True)
class Recorded:
    """One session as the store holds it, in the terms the tests assert on."""

    session: Session

    @property
    def name(self) -> str:
        return self.session.name

    @property
    def tags(self) -> list[str]:
        return self.session.tags

    @property
    def end_state(self) -> str | None:
        return self.session.end_state

    @property
    def reason(self) -> str | None:
        return self.session.end_state_reason

    @property
    def given_state(self) -> Any:
        return self.session.root.attributes.get(sc.AGENTOPS_SESSION_END_STATE_GIVEN)

    @property
    def auto_started(self) -> bool:
        return bool(self.session.root.attributes.get(sc.AGENTOPS_SESSION_AUTO_STARTED))

    @property
    def steps(self) -> list[tuple[str, str, int]]:
        return [(s.kind, s.name, s.depth) for s in self.session.steps]

    @property
    def kinds(self) -> list[str]:
        return [s.kind for s in self.session.steps]

    @property
    def llm_calls(self) -> int:
        return self.session.llm_calls

    @property
    def tokens(self) -> tuple[int, int]:
        return self.session.usage.input_tokens, self.session.usage.output_tokens


def run_program(
    code: str,
    directory: Path,
    server: LLMServer | None = None,
    *,
    env: dict[str, str] | None = None,
    returncode: int = 0,
) -> tuple[subprocess.CompletedProcess[str], list[Recorded]]:
    """Run `code` as `program.py` in `directory`; (the process, its sessions oldest first)."""
    (directory / "program.py").write_text(textwrap.dedent(code))
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("AGENTOPS_", "OTEL_", "OPENAI_", "ANTHROPIC_"))
    }
    store = directory / "traces.db"
    environment.update(
        AGENTOPS_OTEL_STORE_PATH=str(store),
        AGENTOPS_OTEL_DEBUG="1",  # a bug of ours surfaces in the program instead of being logged
        AGENTOPS_API_KEY="your_api_key_here",  # what AgentOps' examples default to
    )
    if server is not None:
        environment.update(
            OPENAI_BASE_URL=server.openai_base_url,
            OPENAI_API_KEY=FAKE_OPENAI_KEY,
            ANTHROPIC_BASE_URL=server.anthropic_base_url,
            ANTHROPIC_API_KEY=FAKE_ANTHROPIC_KEY,
        )
    environment.update(env or {})
    result = subprocess.run(
        [sys.executable, "program.py"], cwd=directory, env=environment, capture_output=True, text=True, timeout=180
    )
    assert result.returncode == returncode, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result, recorded(store)


def recorded(store: Path) -> list[Recorded]:
    if not store.exists():
        return []
    source = open_source(str(store))
    summaries = sorted(source.sessions(), key=lambda s: s.start_ns)
    return [Recorded(source.session(s.trace_id)) for s in summaries]
