"""Schema migrations, applied in order; the index + 1 is the `PRAGMA user_version` they lead to."""

from __future__ import annotations

from typing import Final

Migration = tuple[str, ...]

# Append new migrations; never edit one that has shipped. Each runs in one transaction.
MIGRATIONS: Final[tuple[Migration, ...]] = (
    (
        """
        CREATE TABLE users (
            id TEXT PRIMARY KEY,
            username TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            password_hash TEXT,
            is_owner INTEGER NOT NULL DEFAULT 0 CHECK (is_owner IN (0, 1)),
            is_admin INTEGER NOT NULL DEFAULT 0 CHECK (is_admin IN (0, 1)),
            is_active INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
            local_only INTEGER NOT NULL DEFAULT 0 CHECK (local_only IN (0, 1)),
            created_at TEXT NOT NULL
        ) STRICT
        """,
        # At most one owner, enforced by the database so that two racing CLI calls cannot both win.
        "CREATE UNIQUE INDEX users_single_owner ON users (is_owner) WHERE is_owner = 1",
        """
        CREATE TABLE refresh_tokens (
            id TEXT PRIMARY KEY,
            user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            token_hash TEXT NOT NULL UNIQUE,
            jwt_key TEXT NOT NULL,
            token_type TEXT NOT NULL,
            client_id TEXT,
            client_name TEXT,
            access_token_expiration REAL NOT NULL,
            created_at TEXT NOT NULL,
            expires_at TEXT,
            last_used_at TEXT,
            last_used_ip TEXT
        ) STRICT
        """,
        "CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id)",
        """
        CREATE UNIQUE INDEX refresh_tokens_long_lived_name
            ON refresh_tokens (user_id, client_name)
            WHERE token_type = 'long_lived_access_token'
        """,
    ),
    # 2: the audit log (append-only; queried by time and by user).
    (
        """
        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            event TEXT NOT NULL,
            user_id TEXT,
            username TEXT,
            ip TEXT,
            user_agent TEXT,
            details TEXT NOT NULL DEFAULT '{}'
        ) STRICT
        """,
        "CREATE INDEX audit_log_at ON audit_log (at)",
        "CREATE INDEX audit_log_user ON audit_log (user_id, at)",
    ),
    # Login (refresh-token rotation): hashes of rotated-out refresh-token secrets, so that a
    # reused one is recognised and its whole session revoked.
    (
        """
        CREATE TABLE rotated_refresh_tokens (
            token_hash TEXT PRIMARY KEY,
            refresh_token_id TEXT NOT NULL REFERENCES refresh_tokens (id) ON DELETE CASCADE,
            rotated_at TEXT NOT NULL
        ) STRICT
        """,
        "CREATE INDEX rotated_refresh_tokens_token ON rotated_refresh_tokens (refresh_token_id)",
    ),
    # MFA: one TOTP secret per user with the last accepted time step (replay protection that
    # survives restarts), and SHA-256 hashes of single-use recovery codes.
    (
        """
        CREATE TABLE mfa_totp (
            user_id TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
            secret TEXT NOT NULL,
            last_step INTEGER NOT NULL,
            created_at TEXT NOT NULL
        ) STRICT
        """,
        """
        CREATE TABLE mfa_recovery_codes (
            id INTEGER PRIMARY KEY,
            user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            code_hash TEXT NOT NULL
        ) STRICT
        """,
        "CREATE INDEX mfa_recovery_codes_user ON mfa_recovery_codes (user_id)",
    ),
    # IP bans: bans (expired rows are kept a while as the offence history that doubles repeat
    # offenders' bans), failure counters that survive restarts, a change log that lets a running
    # hub apply bans made by the CLI, and one-time imports (Home Assistant's ip_bans.yaml).
    (
        """
        CREATE TABLE ip_bans (
            client TEXT PRIMARY KEY,
            banned_at REAL NOT NULL,
            expires_at REAL,
            offences INTEGER NOT NULL DEFAULT 1,
            source TEXT NOT NULL,
            reason TEXT NOT NULL DEFAULT ''
        ) STRICT
        """,
        "CREATE INDEX ip_bans_expires ON ip_bans (expires_at)",
        """
        CREATE TABLE ip_ban_failures (
            client TEXT NOT NULL,
            failed_at REAL NOT NULL
        ) STRICT
        """,
        "CREATE INDEX ip_ban_failures_client ON ip_ban_failures (client, failed_at)",
        "CREATE INDEX ip_ban_failures_at ON ip_ban_failures (failed_at)",
        """
        CREATE TABLE ip_ban_changes (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            client TEXT NOT NULL
        ) STRICT
        """,
        """
        CREATE TABLE ip_ban_imports (
            source TEXT PRIMARY KEY,
            imported_at TEXT NOT NULL,
            count INTEGER NOT NULL
        ) STRICT
        """,
    ),
    # The password policy each password hash was checked against (`hearth check` reports
    # passwords set under an older policy version or a lower minimum length). NULL: set before
    # this was recorded.
    (
        "ALTER TABLE users ADD COLUMN password_policy_version INTEGER",
        "ALTER TABLE users ADD COLUMN password_min_length INTEGER",
    ),
    # Registries and the web frontend's data (hearth.core.registries, hearth.frontend.store):
    # registry items as JSON by registry and id; per-user and system-wide frontend settings;
    # stored dashboards (Lovelace configurations) by URL path.
    (
        """
        CREATE TABLE registry_items (
            registry TEXT NOT NULL,
            item_id TEXT NOT NULL,
            data TEXT NOT NULL,
            PRIMARY KEY (registry, item_id)
        ) STRICT
        """,
        """
        CREATE TABLE frontend_user_data (
            user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (user_id, key)
        ) STRICT
        """,
        """
        CREATE TABLE frontend_system_data (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        ) STRICT
        """,
        """
        CREATE TABLE lovelace_dashboards (
            url_path TEXT PRIMARY KEY,
            config TEXT NOT NULL,
            saved_at REAL NOT NULL
        ) STRICT
        """,
    ),
    # 8: a user's tokens of one type without a scan (caps, listing, the long-lived name check),
    # and tombstones: ids of revoked or expired sessions and hashes of their secrets, so that a
    # client still presenting one is told it expired instead of being counted as a guesser.
    (
        "DROP INDEX refresh_tokens_user",
        "CREATE INDEX refresh_tokens_user_type ON refresh_tokens (user_id, token_type, created_at)",
        """
        CREATE TABLE revoked_tokens (
            key TEXT PRIMARY KEY,
            revoked_at REAL NOT NULL
        ) STRICT, WITHOUT ROWID
        """,
        "CREATE INDEX revoked_tokens_at ON revoked_tokens (revoked_at)",
    ),
    # 9: passkeys (WebAuthn credentials): the public key and what the checks need, never a
    # secret. `id` is the credential id (base64url), unique across users.
    (
        """
        CREATE TABLE passkeys (
            id TEXT PRIMARY KEY,
            user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            rp_id TEXT NOT NULL,
            public_key BLOB NOT NULL,
            sign_count INTEGER NOT NULL,
            transports TEXT NOT NULL,
            aaguid TEXT NOT NULL,
            name TEXT NOT NULL,
            created_at TEXT NOT NULL,
            last_used_at TEXT
        ) STRICT
        """,
        "CREATE INDEX passkeys_user ON passkeys (user_id)",
    ),
    # 10: findings of `hearth check` the owner accepted (the Security Center): by rule id, with
    # the reason, who and when; they stay in the report but no longer lower the grade. And the
    # ban allow-list entries added from the Security Center (beside `http: ip_ban_allowlist`),
    # and settings changed there (`mfa_required`), which take the configuration's place.
    (
        """
        CREATE TABLE hearth_settings (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        ) STRICT
        """,
        """
        CREATE TABLE ip_ban_allow (
            network TEXT PRIMARY KEY,
            by_user TEXT NOT NULL,
            at TEXT NOT NULL
        ) STRICT
        """,
        """
        CREATE TABLE check_acks (
            rule_id TEXT PRIMARY KEY,
            reason TEXT NOT NULL,
            by_user TEXT NOT NULL,
            at TEXT NOT NULL
        ) STRICT
        """,
    ),
)
