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
)
