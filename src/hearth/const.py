"""Defaults and limits, in one place."""

from datetime import timedelta
from typing import Final

# Version of the Home Assistant API that Hearth speaks. Clients use it to pick features; it is
# deliberately not Hearth's own version, so nothing identifies the software before login.
HA_COMPAT_VERSION: Final = "2025.1.0"

CONFIG_FILE: Final = "configuration.yaml"
SECRETS_FILE: Final = "secrets.yaml"
DATABASE_FILE: Final = "hearth.db"
USERNAME_HASH_KEY_FILE: Final = "username_hash.key"  # keys the hashes of unknown usernames
LOCK_FILE: Final = ".hearth.lock"  # held by the running hub: one hub per configuration directory

# Bounds of `homeassistant:` numbers: every number in the configuration has a range, so that
# nothing a file says can break the JSON the API sends (orjson writes 64-bit integers at most).
ELEVATION_MIN: Final = -10_000  # metres: below the deepest ocean floor ...
ELEVATION_MAX: Final = 10_000  # ... and above the highest mountain

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
# Bytes queued for one connection before it is dropped (one larger message may wait alone) ...
WS_SEND_BUFFER_LIMIT: Final = 4 * 1024 * 1024
# ... and for all connections together (frames shared by subscribers counted once): beyond it the
# connections holding the most are dropped first.
WS_SEND_TOTAL_LIMIT: Final = 64 * 1024 * 1024
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
# Raise when the password policy (hearth.auth.policy) gets stricter: `hearth check` then lists
# the passwords set under an older version. 1: NIST SP 800-63B length + zxcvbn score >= 3.
PASSWORD_POLICY_VERSION: Final = 1
HASH_WORKERS: Final = 2
HASH_QUEUE_LIMIT: Final = 64  # waiting hash jobs before new ones are refused

# Entities.
MAX_STATE_LENGTH: Final = 255
MAX_ENTITY_ID_LENGTH: Final = 255

# The recorder (hearth.recorder): history of state changes in its own database file.
RECORDER_DATABASE_FILE: Final = "hearth-history.db"
RECORDER_STATUS_FILE: Final = "hearth-history.status"  # what the recorder is doing, for check
RECORDER_KEEP_DAYS: Final = 10  # recorder.purge_keep_days
RECORDER_MAX_KEEP_DAYS: Final = 3650
RECORDER_COMMIT_INTERVAL: Final = 1.0  # seconds: a batch is committed at most this late ...
RECORDER_BATCH_ROWS: Final = 1000  # ... or once it holds this many changes
RECORDER_RETRY_INTERVAL: Final = 60.0  # seconds between attempts to write after a full disk
RECORDER_MAX_BACKLOG: Final = 50_000  # changes waiting for the writer before new ones are dropped
RECORDER_MAX_BACKLOG_BYTES: Final = 64 * 1024 * 1024  # ... or this much data waiting
RECORDER_PURGE_HOUR: Final = 4  # local hour of the nightly purge (and at start when overdue)
RECORDER_PURGE_BATCH: Final = 2000  # rows deleted per short transaction
RECORDER_MAX_QUERY_ENTITIES: Final = 1000  # entity ids in one history or logbook request
RECORDER_MAX_QUERY_ROWS: Final = 250_000  # rows one history or logbook answer may hold
RECORDER_QUERY_TIMEOUT: Final = 15.0  # seconds a read may take before it is interrupted
RECORDER_MAX_READS: Final = 16  # reads waiting or running at once before new ones are refused

# Data in state attributes, event data and service data (hearth.core.payload), wherever it comes
# from: bounded so that everything stored or fired can always be serialised (orjson writes at most
# 254 levels) and sent to every subscriber.
MAX_PAYLOAD_DEPTH: Final = 32  # nested objects and arrays, the outermost object counting 1
MAX_PAYLOAD_BYTES: Final = 256 * 1024  # about this much JSON
MAX_PAYLOAD_STRING: Final = 64 * 1024  # characters in one text value
MAX_PAYLOAD_KEY: Final = 255  # characters in one object key

# IP bans (http: ip_ban_*, login_attempts_*): durations in seconds.
IP_BAN_THRESHOLD: Final = 5
IP_BAN_WINDOW: Final = 15 * 60.0
IP_BAN_DURATION: Final = 60 * 60.0  # doubled for each repeat offence ...
IP_BAN_MAX_DURATION: Final = 7 * 24 * 60 * 60.0  # ... up to this
IP_BAN_LIMIT: Final = 365 * 24 * 60 * 60.0  # the longest duration the configuration accepts

# Per-account login throttling: a growing delay per username, checks spaced one at a time.
THROTTLE_FREE_FAILURES: Final = 3  # failures per username before any delay
THROTTLE_BASE_DELAY: Final = 1.0  # seconds, doubled with every further failure ...
THROTTLE_MAX_DELAY: Final = 30.0  # ... up to this: the longest gap between two checks
THROTTLE_QUEUE: Final = 2  # attempts waiting per account and lane; an admitted one waits at most
# THROTTLE_QUEUE x THROTTLE_MAX_DELAY (1 minute: within a reverse proxy's usual timeout)
THROTTLE_FORGET_AFTER: Final = 15 * 60.0  # a username's failures are forgotten after this quiet

# Network guard and slow clients (hearth.http.forwarded, hearth.http.slow_clients).
MAX_FORWARDED_HOPS: Final = 32  # entries in one X-Forwarded-For header before it is refused
HEADER_READ_TIMEOUT: Final = 10.0  # seconds for a request's headers, from connect or first byte
BODY_READ_TIMEOUT: Final = 60.0  # seconds for a whole request body (at most MAX_REQUEST_BODY)
MAX_CONNECTIONS_PER_IP: Final = 64  # open connections per client address (a remote IPv6 /64)
MAX_CONNECTIONS: Final = 4096  # open connections in all, and at most the open-file limit ...
FD_RESERVE: Final = 384  # ... minus this many descriptors, kept for everything else
MIN_CONNECTIONS: Final = 16  # the cap however low the open-file limit is
RESERVE_CONNECTIONS_PER_IP: Final = 8  # in the last quarter of the cap: per address, at most this
ACCEPT_ERROR_LOG_INTERVAL: Final = 1.0  # seconds between two "cannot accept" log lines

# TLS (hearth.http.tls.profiles, hearth.certs): Mozilla Server Side TLS 5.7.
TLS_DIR: Final = "tls"  # where `hearth cert self-signed` writes, inside the config dir
TLS_RELOAD_INTERVAL: Final = 2.0  # seconds between checks of the certificate files
TLS_FIRST_BYTE_TIMEOUT: Final = 10.0  # seconds a new connection may stay silent
TLS_HANDSHAKE_TIMEOUT: Final = 10.0  # seconds for the TLS handshake
CERT_EXPIRY_WARNING_DAYS: Final = 14
SELF_SIGNED_LIFETIME_DAYS: Final = 90  # Mozilla's maximum for the modern profile
LOCAL_CA_LIFETIME_DAYS: Final = 3650  # name-constrained to the hosts it was made for

# ACME (hearth.acme): certificates from Let's Encrypt or another ACME CA, renewed by the hub.
ACME_DIR: Final = "acme"  # account key, certificate, key and state, inside the config dir
ACME_LETSENCRYPT: Final = "https://acme-v02.api.letsencrypt.org/directory"
ACME_LETSENCRYPT_STAGING: Final = "https://acme-staging-v02.api.letsencrypt.org/directory"
ACME_RENEW_BEFORE: Final = 30 * 86400.0  # seconds before expiry a renewal is due
ACME_CHECK_INTERVAL: Final = 12 * 3600.0  # seconds between two renewal checks
ACME_FAILURE_SPACING: Final = 3600.0  # at least this long between failed orders for one set
ACME_MAX_BACKOFF: Final = 12 * 3600.0  # the longest wait after repeated failures
ACME_ORDER_TIMEOUT: Final = 300.0  # seconds one order may take, validation included
ACME_NETWORK_TIMEOUT: Final = 30  # seconds for one request to the ACME server
ACME_DNS_HOOK_TIMEOUT: Final = 600.0  # seconds the owner's dns-01 command may take
ACME_CHALLENGE_LIFETIME: Final = 3600.0  # challenge answers older than this are never served
ACME_HTTP_PORT: Final = 80  # where CAs send http-01 requests

# `hearth check` (hearth.check): the limits its findings are measured against.
CHECK_UNUSED_DAYS: Final = 90  # an admin or long-lived token unused this long is reported
CHECK_TOKEN_MAX_EXPIRY_DAYS: Final = 365  # long-lived tokens expiring later than this
CHECK_MAX_LONG_LIVED_TOKENS: Final = 10  # per user
CHECK_MAX_BAN_THRESHOLD: Final = 10  # login_attempts_threshold above this is reported
CHECK_MAX_CERT_LIFETIME_DAYS: Final = 398  # CA/Browser Forum baseline requirements
CHECK_PYTHON_EOL_WARNING_DAYS: Final = 180

# MQTT (hearth.integrations.mqtt): what devices send is bounded before it is parsed or stored.
MQTT_MAX_PACKET: Final = 16 * 1024 * 1024  # asked of an MQTT 5 broker (Maximum Packet Size)
MQTT_MAX_DISCOVERY: Final = 32 * 1024  # bytes of one discovery payload
MQTT_MAX_MESSAGE: Final = 64 * 1024  # bytes of one state or availability message
MQTT_MAX_ENTITIES: Final = 5000  # discovered entities, all devices together
MQTT_MAX_DEVICES: Final = 2000
MQTT_MAX_QUEUED: Final = 10_000  # received messages waiting to be handled; more are dropped
MQTT_RECONNECT_MIN: Final = 1.0  # seconds before the first new attempt, doubled each time ...
MQTT_RECONNECT_MAX: Final = 60.0  # ... up to this; each wait is jittered (50 to 100 %)
MQTT_AUTH_RETRY_MIN: Final = 30.0  # after the broker refused the credentials, at least this
MQTT_CONNECT_TIMEOUT: Final = 10.0  # seconds for TCP, TLS and CONNACK together
MQTT_PUBLISH_TIMEOUT: Final = 10.0  # seconds for the broker to acknowledge a command
MQTT_LOG_INTERVAL: Final = 60.0  # one log line per refused topic and reason in this time
MQTT_STATUS_FILE: Final = ".mqtt_status.json"  # the hub's connection state, for `hearth check`

# The SSH debug console (hearth.debug_ssh): off by default, keys only.
DEBUG_SSH_PORT: Final = 22222
DEBUG_SSH_IDLE_TIMEOUT: Final = 10 * 60.0  # seconds a console session may stay silent
DEBUG_SSH_MAX_SESSIONS: Final = 4  # console sessions open at once, hub-wide
DEBUG_SSH_DIR: Final = "ssh"  # inside the config dir: the host key and the keys directory
DEBUG_SSH_KEYS_DIR: Final = "authorized_keys.d"  # inside DEBUG_SSH_DIR: one file per user
DEBUG_SSH_HOST_KEY: Final = "ssh_host_ed25519_key"  # inside DEBUG_SSH_DIR
DEBUG_SSH_LOGIN_TIMEOUT: Final = 30.0  # seconds from connect to a successful key login
DEBUG_SSH_MAX_KEY_OFFERS: Final = 6  # keys one connection may offer (OpenSSH's MaxAuthTries)
DEBUG_SSH_MAX_KEYS_FILE: Final = 64 * 1024  # bytes read of one authorized keys file
DEBUG_SSH_MAX_LINE: Final = 4096  # characters of one console command line
DEBUG_SSH_MAX_OUTPUT_ROWS: Final = 500  # rows a console listing prints at most
DEBUG_SSH_LOG_LINES: Final = 200  # log lines kept in memory for `log tail`
DEBUG_SSH_MIN_RSA_BITS: Final = 3072
DEBUG_SSH_CONNECT_BURST: Final = 10.0  # new connections one address may open at once ...
DEBUG_SSH_CONNECTS_PER_SECOND: Final = 2.0  # ... and then per second (DHEat, CVE-2002-20001)
