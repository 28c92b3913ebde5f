"""Defaults and limits, in one place."""

from datetime import timedelta
from typing import Final

# Version of the Home Assistant API that Hearth speaks. Clients use it to pick features; it is
# deliberately not Hearth's own version, so nothing identifies the software before login.
HA_COMPAT_VERSION: Final = "2025.1.0"

CONFIG_FILE: Final = "configuration.yaml"
SECRETS_FILE: Final = "secrets.yaml"
DATABASE_FILE: Final = "hearth.db"

DEFAULT_PORT: Final = 8123
DEFAULT_SERVER_HOSTS: Final = ("0.0.0.0", "::")  # noqa: S104 - the network guard restricts who may connect

# HTTP limits: an attacker controls all of these sizes.
MAX_REQUEST_BODY: Final = 1024 * 1024
MAX_REQUEST_LINE: Final = 8190
MAX_HEADER_FIELD: Final = 8190
MAX_HEADERS: Final = 100
KEEPALIVE_TIMEOUT: Final = 75.0
SHUTDOWN_TIMEOUT: Final = 10.0

# WebSocket limits.
WS_MAX_MESSAGE: Final = 1024 * 1024
WS_MAX_BATCH: Final = 256  # commands in one JSON array
WS_AUTH_TIMEOUT: Final = 10.0
WS_SEND_QUEUE_LIMIT: Final = 4096  # pending outgoing messages before a slow consumer is dropped
WS_HEARTBEAT: Final = 55.0

# Tokens.
ACCESS_TOKEN_LIFETIME: Final = timedelta(minutes=30)
LONG_LIVED_TOKEN_DEFAULT_DAYS: Final = 365
LONG_LIVED_TOKEN_MAX_DAYS: Final = 3650
AUTH_RELOAD_INTERVAL: Final = 1.0  # seconds between checks for changes made by the CLI

# Passwords (OWASP minimum for Argon2id: m=19 MiB, t=2, p=1).
ARGON2_MEMORY_KIB: Final = 19 * 1024
ARGON2_TIME_COST: Final = 2
ARGON2_PARALLELISM: Final = 1
PASSWORD_MIN_LENGTH: Final = 12
PASSWORD_MAX_LENGTH: Final = 1024
HASH_WORKERS: Final = 2
HASH_QUEUE_LIMIT: Final = 64  # waiting hash jobs before new ones are refused

# Entities.
MAX_STATE_LENGTH: Final = 255
MAX_ENTITY_ID_LENGTH: Final = 255
