"""docker-compose.yml: the bot and PostgreSQL, as the README promises (shape checked here;
CI also runs `docker compose config` where the client has the compose plugin)."""

from __future__ import annotations

from pathlib import Path

import yaml

COMPOSE = Path(__file__).parents[1] / "docker-compose.yml"
SERVICE_KEYS = {
    "image", "build", "environment", "env_file", "volumes", "healthcheck", "depends_on",
    "restart", "stop_grace_period", "command", "ports",
}  # fmt: skip


def test_compose_file_runs_the_bot_on_postgresql():
    compose = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    services = compose["services"]
    assert set(services) == {"db", "bot"}
    for name, service in services.items():
        assert set(service) <= SERVICE_KEYS, f"{name}: unknown keys {set(service) - SERVICE_KEYS}"
    bot, db = services["bot"], services["db"]
    assert bot["build"] == "."
    assert bot["environment"]["PEERBOT_DATABASE_URL"].startswith("postgresql+asyncpg://")
    assert bot["depends_on"]["db"]["condition"] == "service_healthy"
    assert db["image"].startswith("postgres:")
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    [env_file] = bot["env_file"]
    assert env_file == {"path": ".env", "required": False}
    volume = db["volumes"][0].split(":", 1)[0]
    assert volume in compose["volumes"]


def test_the_image_migrates_before_it_runs():
    dockerfile = (COMPOSE.parent / "Dockerfile").read_text(encoding="utf-8")
    assert 'CMD ["peerbot", "run"]' in dockerfile  # `run` applies migrations first
