"""docs/compose.yaml: each service has an image, each portal service a real command and variables the portal reads.

CI has no Docker; this checks what ``docker compose config`` would and what it cannot (commands
and variable names against the portal's own).
"""

import re
from pathlib import Path

import pytest
import yaml
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docs" / "compose.yaml"
PORTAL_SERVICES = {"migrate", "web", "worker", "worker-gpu", "relay", "scheduler"}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def portal_variables() -> set[str]:
    """Every HYDRA_* name the settings read."""
    text = "".join(p.read_text() for p in (ROOT / "hydra_portal").glob("*.py"))
    return set(re.findall(r'"(HYDRA_[A-Z0-9_]+)"', text))


def test_the_compose_file_has_the_services_of_an_installation(compose):
    assert compose["name"] == "hydra"
    assert {"mariadb", "redis", "rabbitmq", "web", "worker", "scheduler"} <= set(compose["services"])
    for name, service in compose["services"].items():
        assert service.get("image"), f"{name} has no image"
        if name in PORTAL_SERVICES:
            assert service["image"] == "hydra-portal:latest" and service.get("command"), name


def test_each_portal_service_runs_a_management_command_that_exists(compose):
    commands = set(get_commands())
    for name in PORTAL_SERVICES:
        argv = compose["services"][name]["command"]
        line = " ".join(argv)
        for used in re.findall(r"manage\.py (\w+)", line):
            assert used in commands, f"{name} runs manage.py {used}, which does not exist"
    assert compose["services"]["web"]["command"][2] == "serve"
    worker = compose["services"]["worker"]["command"]
    assert worker[2] == "rundramatiq" and "--threads" in worker


def test_every_variable_given_to_the_portal_is_one_it_reads(compose):
    known = portal_variables()
    for name in PORTAL_SERVICES:
        env = compose["services"][name]["environment"]
        assert set(env) <= known, f"{name}: unknown {sorted(set(env) - known)}"
        assert {"HYDRA_DATABASE_URL", "HYDRA_BROKER_URL", "HYDRA_REDIS_URL", "HYDRA_SECRET_KEY"} <= set(env)
    env = compose["services"]["web"]["environment"]
    assert env["HYDRA_DATABASE_URL"].startswith("mysql://") and "@mariadb:3306/" in env["HYDRA_DATABASE_URL"]
    assert env["HYDRA_BROKER_URL"].startswith("amqp://") and "@rabbitmq:5672/" in env["HYDRA_BROKER_URL"]
    assert env["HYDRA_REDIS_URL"] == "redis://redis:6379/0"


def test_dependencies_and_volumes_refer_to_what_is_declared(compose):
    services, volumes = compose["services"], set(compose["volumes"])
    for name, service in services.items():
        for needed in service.get("depends_on", {}):
            assert needed in services, f"{name} depends on unknown {needed}"
        for mount in service.get("volumes", []):
            source = mount.split(":")[0]
            assert source in volumes, f"{name} mounts unknown volume {source}"
    assert services["migrate"]["build"]["dockerfile"] == "docs/Dockerfile"
    assert (ROOT / "docs" / "Dockerfile").is_file()
    gpu = services["worker-gpu"]
    assert gpu["profiles"] == ["gpu"]
    assert gpu["deploy"]["resources"]["reservations"]["devices"][0]["capabilities"] == ["gpu"]


def test_the_secret_key_must_be_given_and_passwords_match_their_services(compose):
    env = compose["x-hydra-environment"]
    assert env["HYDRA_SECRET_KEY"].startswith("${HYDRA_SECRET_KEY:?")
    db_password = compose["services"]["mariadb"]["environment"]["MARIADB_PASSWORD"]
    assert f"hydra:{db_password}@mariadb" in env["HYDRA_DATABASE_URL"]
    mq_password = compose["services"]["rabbitmq"]["environment"]["RABBITMQ_DEFAULT_PASS"]
    assert f"hydra:{mq_password}@rabbitmq" in env["HYDRA_BROKER_URL"]
