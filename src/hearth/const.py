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
REFRESH_TOKEN_IDLE_LIFETIME: Final = timedelta(days=90)  # a login session unused this long ends
LONG_LIVED_TOKEN_DEFAULT_DAYS: Final = 365
LONG_LIVED_TOKEN_MAX_DAYS: Final = 3650
AUTH_RELOAD_INTERVAL: Final = 1.0  # seconds between checks for changes made by the CLI
# Per user (auth: max_sessions_per_user, ...): at the session cap the least recently used session
# makes room; at the long-lived cap creation is refused; creations beyond the rate are refused.
MAX_SESSIONS_PER_USER: Final = 100
MAX_LONG_LIVED_TOKENS_PER_USER: Final = 50
TOKEN_CREATIONS_PER_MINUTE: Final = 30
# Revoked or expired sessions are remembered (ids and secret hashes, nothing usable) this long, so
# that a client still presenting one is told so instead of being counted as a guesser.
TOKEN_TOMBSTONE_LIFETIME: Final = timedelta(days=365)
MAX_TOKEN_TOMBSTONES: Final = 100_000

# The audit log (auth: audit_log_retention, audit_log_max_rows), pruned in the background.
AUDIT_LOG_RETENTION: Final = 365 * 24 * 60 * 60.0
AUDIT_LOG_MAX_ROWS: Final = 1_000_000
STORAGE_UPKEEP_INTERVAL: Final = 3600.0  # seconds between prunes of the audit log and tombstones

# Passwords (OWASP minimum for Argon2id: m=19 MiB, t=2, p=1).
ARGON2_MEMORY_KIB: Final = 19 * 1024
ARGON2_TIME_COST: Final = 2
ARGON2_PARALLELISM: Final = 1
PASSWORD_MIN_LENGTH: Final = 12
PASSWORD_MIN_LENGTH_MAX: Final = 128  # the most `auth: password_min_length` may ask for
PASSWORD_MAX_LENGTH: Final = 1024
HASH_WORKERS: Final = 2
HASH_QUEUE_LIMIT: Final = 64  # waiting hash jobs before new ones are refused

# Entities.
MAX_STATE_LENGTH: Final = 255
MAX_ENTITY_ID_LENGTH: Final = 255

# IP bans (http: ip_ban_*, login_attempts_*): durations in seconds.
IP_BAN_THRESHOLD: Final = 5
IP_BAN_WINDOW: Final = 15 * 60.0
IP_BAN_DURATION: Final = 60 * 60.0  # doubled for each repeat offence ...
IP_BAN_MAX_DURATION: Final = 7 * 24 * 60 * 60.0  # ... up to this
IP_BAN_LIMIT: Final = 365 * 24 * 60 * 60.0  # the longest duration the configuration accepts

# Per-account login throttling: a growing delay per username, never a lockout.
THROTTLE_FREE_FAILURES: Final = 3  # failures per username before any delay
THROTTLE_BASE_DELAY: Final = 1.0  # seconds, doubled with every further failure ...
THROTTLE_MAX_DELAY: Final = 30.0  # ... up to this: the longest the owner can be made to wait
THROTTLE_FORGET_AFTER: Final = 15 * 60.0  # a username's failures are forgotten after this quiet

# Network guard and slow clients (hearth.http.forwarded, hearth.http.slow_clients).
MAX_FORWARDED_HOPS: Final = 32  # entries in one X-Forwarded-For header before it is refused
HEADER_READ_TIMEOUT: Final = 10.0  # seconds for a request's headers, from connect or first byte
BODY_READ_TIMEOUT: Final = 60.0  # seconds for a whole request body (at most MAX_REQUEST_BODY)
MAX_CONNECTIONS_PER_IP: Final = 64  # open connections per client address (a remote IPv6 /64)

# TLS (hearth.http.tls, hearth.certs): Mozilla Server Side TLS 5.7.
TLS_DIR: Final = "tls"  # where `hearth cert self-signed` writes, inside the config dir
TLS_RELOAD_INTERVAL: Final = 2.0  # seconds between checks of the certificate files
TLS_FIRST_BYTE_TIMEOUT: Final = 10.0  # seconds a new connection may stay silent
TLS_HANDSHAKE_TIMEOUT: Final = 10.0  # seconds for the TLS handshake
CERT_EXPIRY_WARNING_DAYS: Final = 14
SELF_SIGNED_LIFETIME_DAYS: Final = 90  # Mozilla's maximum for the modern profile
LOCAL_CA_LIFETIME_DAYS: Final = 3650  # name-constrained to the hosts it was made for
