"""What production runs, read from the Dockerfile and the compose file: the one reading shared by
``scripts/production-rehearsal`` and ``bench/load/run.py``, so that both start exactly what the
containers start (``scripts/entrypoint`` with each service's command)."""

import json
import re
import socket
from pathlib import Path

import yaml

BASE_DIR = Path(__file__).resolve().parent.parent


class StackChanged(Exception):
    """The Dockerfile or the compose file no longer has the shape this reading relies on."""


def image_command() -> tuple[list[str], list[str]]:
    """The Dockerfile's ENTRYPOINT and CMD (exec form), checking the build still collects the static files."""
    dockerfile = (BASE_DIR / "Dockerfile").read_text()
    found = {
        word: json.loads(match.group(1))
        for word in ("ENTRYPOINT", "CMD")
        if (match := re.search(rf"^{word}\s+(\[.*\])\s*$", dockerfile, re.M))
    }
    if set(found) != {"ENTRYPOINT", "CMD"}:
        raise StackChanged(f"the Dockerfile has no exec-form ENTRYPOINT and CMD: {found}")
    if "scripts/entrypoint collectstatic" not in dockerfile:
        raise StackChanged("the Dockerfile no longer collects the static files with scripts/entrypoint")
    return found["ENTRYPOINT"], found["CMD"]


def production_commands() -> tuple[dict[str, list[str]], dict]:
    """``{"migrate": [...], "web": [...], "worker": [...], "beat": [...], "collectstatic": [...]}``
    and the compose environment shared by the app services."""
    entrypoint, cmd = image_command()
    services = yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())["services"]
    commands = {"collectstatic": [*entrypoint, "collectstatic"]}
    environment = None
    for name in ("migrate", "web", "worker", "beat"):
        service = services[name]
        if service.get("build") != ".":
            raise StackChanged(f"compose service {name} is not built from the Dockerfile")
        commands[name] = [*entrypoint, *(service.get("command") or cmd)]
        if environment is not None and service["environment"] != environment:
            raise StackChanged(f"compose service {name} has an environment of its own")
        environment = service["environment"]
    return commands, environment


def substitute(value, variables) -> str:
    """Compose's ``${NAME:-default}`` and ``${NAME}`` substitution."""

    def one(match):
        found = variables.get(match.group(1), "")
        return found if found else (match.group(3) or "")

    return re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?\}", one, str(value))


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
