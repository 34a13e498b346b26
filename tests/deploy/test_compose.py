"""``compose.yaml`` is a valid Compose file with the deployment the README describes.

No Docker daemon runs here or in CI, so the file is checked against the Compose
Specification's own JSON schema (vendored, see README.md beside this test), and its shape is
checked by reading it: PostgreSQL and Redis with health checks, migrations run once before any
worker, two web workers and a sender built from the one image, nginx in front of exactly the
web workers, trusting nothing but its own address.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = Path(__file__).with_name("compose-spec.json")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return loaded


def commands(compose: dict[str, Any], *command: str) -> list[str]:
    return [n for n, s in compose["services"].items() if s.get("command") == ["motcua", *command]]


def test_compose_yaml_follows_the_compose_specification(compose: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    errors = [e.message for e in jsonschema.Draft7Validator(schema).iter_errors(compose)]
    assert errors == []


def test_the_schema_refuses_what_compose_refuses(compose: dict[str, Any]) -> None:
    """The validation above can fail: a misspelt key is refused."""
    broken = {**compose, "services": {**compose["services"], "redis": {"image": "redis:7"}}}
    broken["services"]["redis"]["helthcheck"] = {"test": ["CMD", "true"]}
    schema = json.loads(SCHEMA.read_text())
    assert not jsonschema.Draft7Validator(schema).is_valid(broken)


def test_two_web_workers_and_a_sender_start_after_one_migration(compose: dict[str, Any]) -> None:
    services = compose["services"]
    web, senders = commands(compose, "serve"), commands(compose, "worker")
    assert len(web) == 2 and len(senders) == 1
    assert commands(compose, "db", "upgrade") == ["migrate"]
    for name in web + senders:
        service = services[name]
        assert service["build"] == "."
        assert service["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
        assert service["depends_on"]["redis"] == {"condition": "service_healthy"}
        env = service["environment"]
        assert env["MOTCUA_DATABASE_URL"].startswith("postgresql+asyncpg://")
        assert env["MOTCUA_DATABASE_URL"].endswith("@postgres:5432/motcua")
        assert env["MOTCUA_REDIS_URL"] == "redis://redis:6379/0"
    assert services["migrate"]["depends_on"]["postgres"] == {"condition": "service_healthy"}


def test_every_long_running_service_is_health_checked(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name in ("postgres", "redis", "nginx", "portal"):
        assert services[name]["healthcheck"]["test"], name
    # The workers use the image's HEALTHCHECK, which asks /healthz on MOTCUA_PORT.
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "HEALTHCHECK" in dockerfile and "/healthz" in dockerfile


def test_nginx_balances_exactly_the_web_workers_and_is_the_one_trusted_proxy(
    compose: dict[str, Any],
) -> None:
    nginx = compose["services"]["nginx"]
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    upstream = re.findall(r"^\s*server ([\w-]+):8080\b", conf, re.MULTILINE)
    assert sorted(upstream) == sorted(commands(compose, "serve"))
    assert "X-Forwarded-For" in conf
    assert {d["condition"] for d in nginx["depends_on"].values()} == {"service_healthy"}
    address = nginx["networks"]["motcua"]["ipv4_address"]
    for name in commands(compose, "serve"):
        assert compose["services"][name]["environment"]["MOTCUA_TRUSTED_PROXIES"] == address
