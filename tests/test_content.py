"""Captured content is JSON, truncated without leaving part of a credential, and never raises."""

import json

from agentops_otel._content import REDACTED, to_json
from agentops_otel._redact import DEFAULT


def test_truncation_says_how_much_was_cut():
    text, truncated = to_json("x " * 50, 10)
    assert truncated and text.endswith("[truncated 92 chars]")


def test_a_cut_inside_a_key_drops_the_whole_key():
    key = "sk-proj-" + "Ab1" * 20
    text, truncated = to_json(f"use {key} now", 30)
    assert truncated and "sk-proj" not in text and text.startswith('"use …[truncated')


def test_with_a_redactor_credentials_are_masked_before_the_cut():
    text, _ = to_json({"result": '{"password": "hunter2"}', "note": "x" * 100}, 60, DEFAULT)
    assert "hunter2" not in text and REDACTED in text


def test_values_json_cannot_hold_become_text_and_never_raise():
    class Odd:
        def __repr__(self) -> str:
            raise RuntimeError("no repr")

    cyclic: list = []
    cyclic.append(cyclic)
    deep: list = []
    for _ in range(10_000):
        deep = [deep]
    for value in (Odd(), {1: float("nan")}, cyclic, deep, b"\x00" * 5):
        text, _ = to_json(value, 1000)
        json.loads(text)  # always valid JSON
