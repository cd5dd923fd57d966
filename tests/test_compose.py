"""docker-compose.yml: the bot and PostgreSQL, and the `scale` profile's webhook replicas
behind a proxy, as the README promises (shape checked here; CI also runs `docker compose
config` where the client has the compose plugin)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

COMPOSE = Path(__file__).parents[1] / "docker-compose.yml"
CADDYFILE = COMPOSE.parent / "deploy" / "Caddyfile"
SERVICE_KEYS = {
    "image", "build", "environment", "env_file", "volumes", "healthcheck", "depends_on",
    "restart", "stop_grace_period", "command", "ports", "profiles",
}  # fmt: skip
REPLICA_COMMAND = ["peerbot", "run", "--webhook"]


def load_compose() -> dict[str, Any]:
    compose: dict[str, Any] = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    return compose


def test_compose_file_runs_the_bot_on_postgresql():
    compose = load_compose()
    services = compose["services"]
    assert {name for name, service in services.items() if "profiles" not in service} == {
        "db",
        "bot",
    }, "without a profile: one polling bot and its database"
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


def test_the_polling_bot_is_checked_by_its_heartbeat_and_reads_the_program_folder():
    services = load_compose()["services"]
    bot = services["bot"]
    assert bot["healthcheck"]["test"] == ["CMD", "peerbot", "check-config", "--heartbeat"]
    interval = int(bot["healthcheck"]["interval"].removesuffix("s"))
    assert 30 <= interval < 90, "the heartbeat is rewritten every 30 s and stale after 90 s"
    beat = Path(bot["environment"]["PEERBOT_HEARTBEAT_FILE"])
    assert beat.parent == Path("/tmp"), "a folder the image's user may write to"
    replicas = [s for s in services.values() if s.get("command") == REPLICA_COMMAND]
    for service in [bot, *replicas]:
        program = service["environment"]["PEERBOT_PROGRAM_DIR"]
        assert f"./program:{program}:ro" in service["volumes"], "mounted read-only"


def test_the_image_migrates_before_it_runs():
    dockerfile = (COMPOSE.parent / "Dockerfile").read_text(encoding="utf-8")
    assert 'CMD ["peerbot", "run"]' in dockerfile  # `run` applies migrations first


def test_the_scale_profile_runs_three_webhook_replicas_behind_a_proxy():
    services = load_compose()["services"]
    replicas = {name: s for name, s in services.items() if s.get("command") == REPLICA_COMMAND}
    assert len(replicas) == 3
    polling_url = services["bot"]["environment"]["PEERBOT_DATABASE_URL"]
    replica_ids, ports = set(), set()
    for name, replica in replicas.items():
        environment = replica["environment"]
        assert replica["profiles"] == ["scale"], name
        assert environment["PEERBOT_DATABASE_URL"] == polling_url, "one shared database"
        assert environment["PEERBOT_LOG_FORMAT"] == "json"
        assert replica["env_file"] == [{"path": ".env", "required": False}]  # token, key, secret
        assert "/healthz" in " ".join(replica["healthcheck"]["test"])
        assert replica["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        replica_ids.add(environment["PEERBOT_REPLICA_ID"])
        ports.add(environment["PEERBOT_LISTEN_PORT"])
    assert len(replica_ids) == 3, "each replica has its own id"
    migrate = services["migrate"]
    assert (migrate["command"], migrate["profiles"]) == (["peerbot", "migrate"], ["scale"])

    proxy = services["proxy"]
    assert proxy["image"].startswith("caddy:2")
    assert proxy["profiles"] == ["scale"]
    assert f"./{CADDYFILE.relative_to(COMPOSE.parent)}:/etc/caddy/Caddyfile:ro" in proxy["volumes"]
    assert set(proxy["depends_on"]) == set(replicas)
    [port] = ports
    caddyfile = CADDYFILE.read_text(encoding="utf-8")
    upstreams = " ".join(f"{name}:{port}" for name in sorted(replicas))
    assert f"reverse_proxy {upstreams}" in caddyfile
    assert "lb_policy round_robin" in caddyfile
    assert "handle {$PEERBOT_WEBHOOK_PATH}" in caddyfile, "only the webhook path is forwarded"
