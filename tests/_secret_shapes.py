"""Credential shapes for the redaction tests: each a name, how it appears (a text, or a dict for the
dict-key forms), the secret part that must never be recorded, and the masked shape that replaces it.

`shape.planted(place)` makes the credential unique to the place it is planted, so a leak names its
place. The values are made up and follow each provider's published format.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any


def _chars(seed: str, n: int, alphabet: str = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789") -> str:
    digest = hashlib.sha256(seed.encode()).digest() * (n // 32 + 1)
    return "".join(alphabet[b % len(alphabet)] for b in digest[:n])


@dataclass(frozen=True)
class Shape:
    name: str
    template: str  # {secret} is replaced by the secret part
    secret_len: int
    masked: str  # what the replay shows instead
    alphabet: str = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
    prefix: str = ""  # part of the secret that stays (e.g. the provider's prefix)
    as_dict: bool = False  # planted as {name: value} rather than as text

    def secret(self, place: str) -> str:
        return _chars(f"{self.name}/{place}", self.secret_len, self.alphabet)

    def text(self, place: str) -> str:
        return self.template.format(secret=self.secret(place))

    def planted(self, place: str) -> Any:
        """The value to plant: text, or a one-key dict for the dict-key forms."""
        if self.as_dict:
            key, _, value = self.text(place).partition("=")
            return {key: value}
        return self.text(place)


UPPER = "ABCDEFGHJKLMNPQRSTUVWXYZ234567"
HEX = "0123456789abcdef"
SHAPES = (
    Shape("openai-project", "sk-proj-{secret}", 48, "sk-proj-****"),
    Shape("openai-legacy", "sk-{secret}", 48, "sk-****"),
    Shape("anthropic", "sk-ant-api03-{secret}", 60, "sk-ant-api03-****"),
    Shape("aws-access-key-id", "AKIA{secret}", 16, "AKIA****", alphabet=UPPER),
    Shape("aws-temporary-key-id", "ASIA{secret}", 16, "ASIA****", alphabet=UPPER),
    Shape("aws-secret-key-in-config", "aws_secret_access_key = {secret}", 40, "aws_secret_access_key = ****"),
    Shape("github-classic", "ghp_{secret}", 36, "ghp_****"),
    Shape("github-oauth", "gho_{secret}", 36, "gho_****"),
    Shape("github-fine-grained", "github_pat_11A{secret}", 59, "github_pat_****"),
    Shape("google-api-key", "AIza{secret}", 35, "AIza****"),
    Shape("slack-bot", "xoxb-2417-{secret}", 24, "xoxb-****"),
    Shape("slack-user", "xoxp-9921-{secret}", 24, "xoxp-****"),
    Shape(
        "jwt",
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhZGEifQ.{secret}",
        43,
        "eyJ****",
    ),
    Shape(
        "pem-private-key",
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA{secret}\n-----END RSA PRIVATE KEY-----",
        64,
        "-----BEGIN RSA PRIVATE KEY-----****",
    ),
    Shape("url-password", "postgres://ada:{secret}@db.internal:5432/app", 14, "postgres://ada:****@db.internal"),
    Shape("bearer-header", "Authorization: Bearer {secret}", 32, "Authorization: Bearer ****"),
    Shape("basic-header", "Authorization: Basic {secret}=", 27, "Authorization: Basic ****"),
    Shape("env-db-password", "DB_PASSWORD={secret}", 12, "DB_PASSWORD=****"),
    Shape("yaml-db-password", "db_password: {secret}", 12, "db_password: ****"),
    Shape("env-openai-key-any-value", "OPENAI_API_KEY={secret}", 20, "OPENAI_API_KEY=****"),
    Shape("env-google-key", "GOOGLE_API_KEY={secret}", 20, "GOOGLE_API_KEY=****"),
    Shape("env-aws-secret", "AWS_SECRET_ACCESS_KEY={secret}", 40, "AWS_SECRET_ACCESS_KEY=****"),
    Shape("secret-key-pair", "secret_key={secret}", 16, "secret_key=****"),
    Shape("private-key-pair", "private_key={secret}", 16, "private_key=****"),
    Shape("client-secret-json", '{{"client_secret": "{secret}"}}', 24, '"client_secret": "****"'),
    Shape("dict-db-password", "DB_PASSWORD={secret}", 12, "****", as_dict=True),
    Shape("dict-api-key", "api_key={secret}", 20, "****", as_dict=True),
    Shape("dict-aws-secret", "AWS_SECRET_ACCESS_KEY={secret}", 40, "****", as_dict=True),
    Shape("dict-private-key", "privateKey={secret}", 24, "****", as_dict=True),
    Shape("dict-auth-token", "X-Auth-Token={secret}", 24, "****", as_dict=True),
)
SHAPE_IDS = [s.name for s in SHAPES]

# Ordinary content that mentions credentials without holding one: left exactly as it is.
ORDINARY = (
    "the secret garden is nice",
    "a keyboard: 104 keys",
    "token budget = 4096",
    "the token is the unit the model reads",
    "Where is my order A-1002? My password reset did not arrive.",
    '{"max_tokens": 100, "input_tokens": 12, "output_tokens": 3, "token_count": 7}',
    '{"tokenizer": "cl100k_base", "secret_name": "prod-db"}',
    "Basic Understanding of Python, chapter 3",
    "pip install scikit-learn; see sk-learn-compatible-estimators",
    "https://docs.example.com/guides/authentication#tokens",
    "the API key page lists your keys: go to Settings > API keys",
    '{"api_key": null, "password": ""}',
    "git commit 3f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a3f",
    "ada@example.com wrote at 09:30",
)
