"""docker-compose.yml and Dockerfile, checked without a Docker engine: parsed, not run."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    return dict(compose["services"])


def _instructions(name: str) -> list[tuple[str, str]]:
    """Dockerfile instructions as (KEYWORD, arguments), continuation lines joined."""
    text = re.sub(r"\\\n", " ", (ROOT / name).read_text(encoding="utf-8"))
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "")
        for line in lines
        if line and not line.startswith("#")
    ]


def test_services_app_postgres_and_mailpit(services: dict[str, Any]) -> None:
    assert {"app", "db", "mailpit"} <= set(services)
    assert services["db"]["image"].startswith("postgres:")
    assert services["mailpit"]["image"].startswith("axllent/mailpit:")
    assert "127.0.0.1:8025:8025" in services["mailpit"]["ports"]
    assert services["app"]["build"] == "."


def test_app_runs_the_scheduler_on_postgres(services: dict[str, Any]) -> None:
    app = services["app"]
    assert app["command"][0] == "run"
    env = app["environment"]
    assert env["VNAWATCH_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert "@db:5432/" in env["VNAWATCH_DATABASE_URL"]
    assert env["VNAWATCH_CONFIG"] == "/config/config.yaml"
    assert app["depends_on"]["db"]["condition"] == "service_healthy"
    assert app["depends_on"]["init"]["condition"] == "service_completed_successfully"
    assert services["init"]["command"] == ["init"]
    assert app["restart"] == "unless-stopped"


def test_config_is_bind_mounted_read_only_as_a_folder(services: dict[str, Any]) -> None:
    mounts = services["app"]["volumes"]
    config_mount = next(m for m in mounts if ":/config" in m)
    source, target, mode = config_mount.rsplit(":", 2)
    assert target == "/config" and mode == "ro"
    assert source.startswith(("${VNAWATCH_CONFIG_DIR", "."))


def test_data_lives_in_named_volumes(compose: dict[str, Any], services: dict[str, Any]) -> None:
    assert "pgdata:/var/lib/postgresql/data" in services["db"]["volumes"]
    assert {"pgdata", "appdata"} <= set(compose["volumes"])


def test_healthchecks(services: dict[str, Any]) -> None:
    assert services["app"]["healthcheck"]["test"] == ["CMD", "vnawatch", "status"]
    assert "pg_isready" in " ".join(services["db"]["healthcheck"]["test"])
    assert "readyz" in services["mailpit"]["healthcheck"]["test"]
    assert services["init"]["healthcheck"] == {"disable": True}


def test_stop_grace_outlasts_the_scheduler_drain(services: dict[str, Any]) -> None:
    from config import SchedulerSettings

    grace = int(services["app"]["stop_grace_period"].rstrip("s"))
    assert grace > SchedulerSettings().shutdown_grace_seconds + 5
    assert services["app"]["init"] is True


def test_dockerfile_installs_the_package_and_runs_as_non_root() -> None:
    instructions = _instructions("Dockerfile")
    keywords = [keyword for keyword, _ in instructions]
    assert keywords[0] == "FROM" and "python:3.11" in instructions[0][1]
    users = [args for keyword, args in instructions if keyword == "USER"]
    assert users, "the image must switch to an unprivileged user"
    assert users[-1].split(":")[0] not in {"root", "0"}
    user_at = max(i for i, keyword in enumerate(keywords) if keyword == "USER")
    installs = [
        i for i, (k, args) in enumerate(instructions) if k == "RUN" and "pip install" in args
    ]
    assert installs and max(installs) < user_at  # installed as root, run as the user
    entry = next(args for keyword, args in instructions if keyword == "ENTRYPOINT")
    assert entry == '["vnawatch"]'
    assert any(k == "HEALTHCHECK" and "vnawatch" in args for k, args in instructions)


def test_dockerignore_keeps_local_state_out() -> None:
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert {".git", ".venv", "/vnawatch.db*"} <= set(ignored)


def test_worker_service_scales(services: dict[str, Any]) -> None:
    """`docker compose up --scale worker=3`: no fixed name or host port to clash on."""
    worker, app = services["worker"], services["app"]
    assert worker["command"] == ["worker"]
    assert "container_name" not in worker and "ports" not in worker
    assert worker["environment"] == app["environment"]  # same database, config, secrets
    assert worker["depends_on"]["init"]["condition"] == "service_completed_successfully"
    assert worker["init"] is True and worker["restart"] == "unless-stopped"
