"""Testing helpers for agent runs (pytest plugin, assertions, a loopback LLM server)."""
