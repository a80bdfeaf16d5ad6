"""The `agentops_playback` fixture and marker in a user's test suite (pytester, in a subprocess)."""

from __future__ import annotations

import pytest

from agentops_otel import RecordedStep, Recording

pytest_plugins = ["pytester"]

USER_TESTS = """
import openai
import pytest

def ask(text):
    client = openai.OpenAI(base_url="http://127.0.0.1:9/v1", api_key="sk-test-0123456789abcdef", max_retries=0)
    with client:
        reply = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": text}])
    return reply.choices[0].message.content

@pytest.mark.agentops_playback("recordings/hello.json")
def test_same_question(agentops_playback):
    assert ask("hello") == "hi!"
    assert agentops_playback.answered == 1

@pytest.mark.agentops_playback("recordings/hello.json")
def test_changed_question(agentops_playback):
    ask("good morning")

@pytest.mark.agentops_playback("recordings/hello.json")
def test_no_question(agentops_playback):
    pass

@pytest.mark.agentops_playback("recordings/hello.json", strict=False)
def test_no_question_lenient(agentops_playback):
    assert agentops_playback.remaining

@pytest.mark.agentops_playback("recordings/hello.json")
def test_swallowed_divergence(agentops_playback):
    try:
        ask("good morning")
    except Exception:
        pass

def test_no_recording(agentops_playback):
    pass
"""


def test_the_marker_plays_a_recording_beside_the_test_and_fails_tests_that_diverge(pytester: pytest.Pytester) -> None:
    answer = [{"role": "assistant", "parts": [{"type": "text", "content": "hi!"}], "finish_reason": "stop"}]
    question = [{"role": "user", "parts": [{"type": "text", "content": "hello"}]}]
    step = RecordedStep(1, "llm", "gpt-4o", question, answer, provider="openai", request_model="gpt-4o")
    (pytester.path / "recordings").mkdir()
    Recording("hello", "hello", "Success", (step,)).save(pytester.path / "recordings" / "hello.json")
    pytester.makepyfile(test_user=USER_TESTS)
    pytester.makeini("[pytest]\nfilterwarnings = error\naddopts = --strict-markers -p no:cacheprovider\n")

    result = pytester.runpytest_subprocess("-q")

    result.assert_outcomes(passed=4, failed=1, errors=3)
    result.stdout.fnmatch_lines(
        [
            "FAILED test_user.py::test_changed_question - agentops_otel.playback*",
            "ERROR test_user.py::test_no_question - agentops_otel.playback*",
            "ERROR test_user.py::test_swallowed_divergence - agentops_otel.playback*",
            "ERROR test_user.py::test_no_recording - pytest.UsageError*",
        ],
        consecutive=False,
    )
    result.stdout.no_fnmatch_line("ERROR test_user.py::test_changed_question*")  # reported once, as the failure
