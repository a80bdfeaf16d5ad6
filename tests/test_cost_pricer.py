"""Pricer: the same figures as genai-prices computes directly, overrides, unpriced reasons, bad files."""

from __future__ import annotations

import decimal
import json
import warnings
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import genai_prices
import pytest
from genai_prices.data_snapshot import get_snapshot

from agentops_otel._config import ENV_PRICES_FILE
from agentops_otel.cost import Pricer
from agentops_otel.errors import ConfigurationError
from agentops_otel.model import Usage

AT = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def direct(usage: Usage, model: str, provider_id: str | None, at: datetime = AT):
    """What genai-prices computes for the same call, through its public API."""
    return genai_prices.calc_price(
        genai_prices.Usage(
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            cache_read_tokens=usage.cache_read_tokens,
            cache_write_tokens=usage.cache_write_tokens,
            output_reasoning_tokens=usage.reasoning_tokens,
        ),
        model,
        provider_id=provider_id,
        genai_request_timestamp=at,
    )


@pytest.fixture
def pricer(monkeypatch: pytest.MonkeyPatch) -> Pricer:
    monkeypatch.delenv(ENV_PRICES_FILE, raising=False)
    return Pricer()


# (span provider name as instrumentations send it, genai-prices provider id, model, usage)
KNOWN = [
    ("openai", "openai", "gpt-4o-2024-08-06", Usage(1200, 300, cache_read_tokens=1024)),
    ("openai", "openai", "gpt-4o-mini", Usage(5000, 800)),
    ("openai", "openai", "o3-mini", Usage(1200, 3000, reasoning_tokens=2500)),
    ("anthropic", "anthropic", "claude-sonnet-4-20250514", Usage(12000, 400, 10000, 1500)),
    ("anthropic", "anthropic", "claude-3-5-haiku-20241022", Usage(900, 120, cache_write_tokens=800)),
    # Tiered: above 200k input tokens every input token costs the higher rate.
    ("anthropic", "anthropic", "claude-sonnet-4-5", Usage(250_000, 1000, cache_read_tokens=100_000)),
    ("gcp.gemini", "google", "gemini-2.5-flash", Usage(3000, 700, cache_read_tokens=2000)),
    ("gcp.vertex_ai", "google", "gemini-2.5-pro", Usage(300_000, 500, reasoning_tokens=200)),
    ("mistral_ai", "mistral", "mistral-large-latest", Usage(2000, 400)),
    ("deepseek", "deepseek", "deepseek-chat", Usage(2000, 400, cache_read_tokens=1500)),
    ("x_ai", "x-ai", "grok-3", Usage(2000, 400, cache_read_tokens=100)),
    ("groq", "groq", "llama-3.3-70b-versatile", Usage(2000, 400)),
    ("aws.bedrock", "aws", "anthropic.claude-3-haiku-20240307-v1:0", Usage(2000, 400)),
]


@pytest.mark.parametrize(("provider", "provider_id", "model", "usage"), KNOWN, ids=[k[2] for k in KNOWN])
def test_known_models_price_exactly_as_genai_prices(
    pricer: Pricer, provider: str, provider_id: str, model: str, usage: Usage
) -> None:
    result = pricer.price(provider, model, usage, AT)
    expected = direct(usage, model, provider_id)
    assert result.priced, result.unpriced_reason
    assert (result.total, result.input, result.output) == (
        expected.total_price,
        expected.input_price,
        expected.output_price,
    )
    assert result.source == f"genai-prices {genai_prices.__version__} ({expected.provider.id}/{expected.model.id})"


def test_cached_tokens_cost_less_than_fresh_ones(pricer: Pricer) -> None:
    fresh = pricer.price("anthropic", "claude-sonnet-4-20250514", Usage(10_000, 100), AT)
    cached = pricer.price("anthropic", "claude-sonnet-4-20250514", Usage(10_000, 100, 9_000), AT)
    assert cached.total is not None and fresh.total is not None
    assert cached.total < fresh.total


@pytest.mark.parametrize("path", ["compiled", "first-use"])
def test_every_model_in_the_snapshot_prices_as_genai_prices_does(path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # The compiled price functions must agree with calc_price for every model and tier, not only the
    # popular ones: small usage, usage with every token kind, and usage past the usual tier starts.
    # So must a price's first use, which genai-prices answers while the function compiles elsewhere
    # (a fresh Pricer per model: its first call, at least, takes that path).
    monkeypatch.delenv(ENV_PRICES_FILE, raising=False)
    pricer = Pricer(compile_now=True)
    usages = [
        Usage(10, 3),
        Usage(5_000, 700, cache_read_tokens=3_000, cache_write_tokens=1_000, reasoning_tokens=300),
        Usage(400_000, 9_000, cache_read_tokens=150_000, reasoning_tokens=2_000),
    ]
    compared = 0
    for provider in get_snapshot().providers:
        for model in provider.models:
            if path == "first-use":
                pricer = Pricer()
            for usage in usages:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # genai-prices warns about exotic price keys
                    try:
                        expected = direct(usage, model.id, provider.id)
                    except (LookupError, ValueError):
                        expected = None
                    result = pricer.price(provider.id, model.id, usage, AT)
                if expected is None:
                    assert not result.priced, (provider.id, model.id, usage)
                    continue
                assert (result.total, result.input, result.output) == (
                    expected.total_price,
                    expected.input_price,
                    expected.output_price,
                ), (provider.id, model.id, usage)
                compared += 1
    assert compared > 1000


@pytest.mark.parametrize(
    ("model", "same_as"),
    [
        ("gpt-4o-2024-11-20", "gpt-4o"),
        ("claude-3-5-sonnet-20241022", "claude-3-5-sonnet-latest"),
        ("GPT-4o-Mini", "gpt-4o-mini"),
    ],
)
def test_dated_and_differently_cased_model_ids_match_the_model(pricer: Pricer, model: str, same_as: str) -> None:
    usage = Usage(1000, 100)
    provider = "anthropic" if model.startswith("claude") else "openai"
    dated = pricer.price(provider, model, usage, AT)
    plain = pricer.price(provider, same_as, usage, AT)
    assert dated.priced and dated.total == plain.total


def test_a_model_without_provider_is_found_by_its_name(pricer: Pricer) -> None:
    result = pricer.price(None, "claude-3-5-haiku-20241022", Usage(100, 10), AT)
    assert result.total == direct(Usage(100, 10), "claude-3-5-haiku-20241022", None).total_price


def test_anthropic_raw_input_tokens_that_exclude_the_cache_are_completed(pricer: Pricer) -> None:
    # Anthropic's API reports input_tokens without the cache; the conventions count the cache in.
    raw = Usage(input_tokens=50, output_tokens=20, cache_read_tokens=9000, cache_write_tokens=1000)
    result = pricer.price("anthropic", "claude-sonnet-4-20250514", raw, AT)
    expected = direct(Usage(10_050, 20, 9000, 1000), "claude-sonnet-4-20250514", "anthropic")
    assert result.total == expected.total_price


@pytest.mark.parametrize(
    ("provider", "model", "usage", "reason"),
    [
        ("openai", "my-finetune-7b", Usage(10, 10), "unknown model 'my-finetune-7b' of provider 'openai'"),
        ("ollama", "llama3", Usage(10, 10), "unknown provider 'ollama'"),
        (None, "totally-unknown-model", Usage(10, 10), "unknown model 'totally-unknown-model'"),
        ("openai", "gpt-4o", None, "no token usage"),
        ("openai", None, Usage(10, 10), "no model"),
    ],
)
def test_what_cannot_be_priced_says_why_instead_of_zero(
    pricer: Pricer, provider: str | None, model: str | None, usage: Usage | None, reason: str
) -> None:
    result = pricer.price(provider, model, usage, AT)
    assert not result.priced
    assert result.total is None and result.input is None and result.output is None
    assert reason in (result.unpriced_reason or "")


def _write(tmp_path: Path, name: str, content: str | dict) -> Path:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


def test_json_overrides_win_over_genai_prices(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "prices.json",
        {
            "models": [
                {"model": "gpt-4o", "provider": "openai", "input_mtok": 1, "output_mtok": 2, "cache_read_mtok": 0.5}
            ]
        },
    )
    result = Pricer(overrides=path).price("openai", "gpt-4o", Usage(1_000_000, 1_000_000, 400_000), AT)
    assert result.total == Decimal("0.6") + Decimal("0.2") + Decimal("2")
    assert (result.input, result.output) == (Decimal("0.8"), Decimal("2"))
    assert result.source == "override:prices.json"


def test_toml_overrides_price_a_private_model_for_any_provider(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "prices.toml",
        '[[models]]\nmodel = "My-Finetune-7B"\ninput_mtok = 0.5\noutput_mtok = 1.5\n',
    )
    pricer = Pricer(overrides=path)
    for provider in ("openai", "vllm", None):
        result = pricer.price(provider, "my-finetune-7b", Usage(2_000_000, 1_000_000, cache_read_tokens=1_000_000), AT)
        # No cache price given: cached tokens cost the input price, as genai-prices does.
        assert result.total == Decimal("1") + Decimal("1.5")
        assert result.source == "override:prices.toml"


def test_a_provider_specific_override_leaves_other_providers_alone(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "p.json",
        {"models": [{"model": "gpt-4o", "provider": "azure.ai.openai", "input_mtok": 9, "output_mtok": 9}]},
    )
    pricer = Pricer(overrides=path)
    assert pricer.price("azure.ai.openai", "gpt-4o", Usage(1_000_000, 0), AT).total == Decimal(9)
    openai = pricer.price("openai", "gpt-4o", Usage(1_000_000, 0), AT)
    assert openai.total == direct(Usage(1_000_000, 0), "gpt-4o", "openai").total_price


def test_the_environment_variable_names_the_overrides_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path, "env.json", {"models": [{"model": "house-model", "input_mtok": 3, "output_mtok": 4}]})
    monkeypatch.setenv(ENV_PRICES_FILE, str(path))
    assert Pricer().price(None, "house-model", Usage(1_000_000, 1_000_000), AT).total == Decimal(7)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("p.json", "{not json", "Expecting property name"),
        ("p.toml", "[[models]\nmodel=", "p.toml"),
        ("p.json", "[]", "expected an object with a 'models' list"),
        ("p.json", {"model": []}, "expected an object with a 'models' list"),
        ("p.json", {"models": [], "extra": 1}, "unknown top-level key(s) extra"),
        ("p.json", {"models": ["gpt-4o"]}, "models[0] must be an object"),
        ("p.json", {"models": [{"input_mtok": 1, "output_mtok": 1}]}, "models[0].model must be a non-empty string"),
        ("p.json", {"models": [{"model": "m", "input_mtok": 1}]}, "models[0] (m) needs output_mtok"),
        ("p.json", {"models": [{"model": "m", "input_mtok": -1, "output_mtok": 1}]}, "models[0].input_mtok must be"),
        ("p.json", {"models": [{"model": "m", "input_mtok": "1", "output_mtok": 1}]}, "got '1'"),
        ("p.json", {"models": [{"model": "m", "input_mtok": True, "output_mtok": 1}]}, "got True"),
        ("p.json", {"models": [{"model": "m", "input_mtok": 1, "output_mtok": 1, "input": 2}]}, "unknown key(s) input"),
        ("p.json", {"models": [{"model": "m", "provider": "", "input_mtok": 1, "output_mtok": 1}]}, "provider"),
        (
            "p.json",
            {
                "models": [
                    {"model": "M", "input_mtok": 1, "output_mtok": 1},
                    {"model": "m", "input_mtok": 2, "output_mtok": 2},
                ]
            },
            "models[1]: model m is listed twice",
        ),
        ("p.json", b"\xff\xfe\x00bad", "p.json"),
    ],
)
def test_a_bad_overrides_file_is_refused_naming_the_file_and_the_problem(
    tmp_path: Path, name: str, content: str | dict | bytes, message: str
) -> None:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        _write(tmp_path, name, content)
    with pytest.raises(ConfigurationError) as raised:
        Pricer(overrides=path)
    assert str(path) in str(raised.value)
    assert message in str(raised.value)


def test_a_missing_overrides_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"cannot be read.*AGENTOPS_OTEL_PRICES_FILE"):
        Pricer(overrides=tmp_path / "nope.json")


def test_a_lowered_decimal_precision_in_the_application_does_not_round_prices(pricer: Pricer) -> None:
    usage = Usage(1_234_567, 300, cache_read_tokens=1000)
    expected = direct(usage, "claude-sonnet-4-20250514", "anthropic").total_price
    with decimal.localcontext(decimal.Context(prec=2, rounding=decimal.ROUND_DOWN)):
        result = Pricer().price("anthropic", "claude-sonnet-4-20250514", usage, AT)
    assert result.total == expected
