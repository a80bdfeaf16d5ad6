"""Captured content is JSON, truncated, and never carries a credential."""

import pytest

from agentops_otel._content import REDACTED, scrub_text, to_json


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"password": "hunter2", "user": "ada"}', '{"password": "[REDACTED]", "user": "ada"}'),
        ("https://crm.example/?api_key=abc123&q=1", "https://crm.example/?api_key=[REDACTED]&q=1"),
        ("X-Api-Key: abc", "X-Api-Key: [REDACTED]"),
        ("{'client_secret': 'xyz'}", "{'client_secret': '[REDACTED]'}"),
        ("Authorization: Bearer abcdefghijkl", "Authorization: [REDACTED]"),
        ("use sk-proj-abcdefghijklmnopqrstu now", "use [REDACTED] now"),
        ("sk-ant-api03-abcdefghijklmnopqrstuvwxyz", "[REDACTED]"),
    ],
)
def test_credentials_inside_text_are_masked(text, expected):
    assert scrub_text(text) == expected


@pytest.mark.parametrize(
    "text",
    ["the secret garden is nice", "a keyboard: 104 keys", "token budget = 4096", "Where is my order A-1002?"],
)
def test_ordinary_text_is_left_alone(text):
    assert scrub_text(text) == text


def test_json_strings_inside_values_are_scrubbed_too():
    text, truncated = to_json({"result": '{"password": "hunter2"}', "headers": {"Cookie": "s=1"}}, 1000)
    assert "hunter2" not in text and "s=1" not in text
    assert text.count(REDACTED) == 2 and not truncated


def test_truncation_says_how_much_was_cut():
    text, truncated = to_json("x" * 100, 10)
    assert truncated and text.endswith("[truncated 92 chars]")
