"""The ban allow-list entries added at run time (the Security Center), beside the
configuration's `http: ip_ban_allowlist`: stored, audited, applied to the running policy.

Threat: an allow-listed address may guess passwords for ever. Public space is refused beyond a
handful of hosts (as in the configuration) and needs an explicit confirmation even then.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from datetime import UTC, datetime
from ipaddress import ip_network
from typing import TYPE_CHECKING, Any, Final

from hearth.bans.policy import IPNetwork, policy_allowlist
from hearth.config.net_rules import HANDFUL, PUBLIC_ALLOWED, is_public
from hearth.exceptions import BadRequest, Conflict, NotFound
from hearth.storage.audit import audit_row, insert_audit

if TYPE_CHECKING:
    from hearth.bans.manager import BanManager
    from hearth.config.schema import HttpSection
    from hearth.storage.db import Database

MAX_ENTRIES: Final = 256
CONFIRM_PUBLIC: Final = (
    "{network} is public address space: clients there could guess passwords without ever being "
    "banned. Add it only if it is your own address, and confirm."
)


class NeedsConfirmation(BadRequest):
    """A public address: allowed only when the request confirms it."""

    code = "confirm_public"


def parse(text: str, *, confirm_public: bool) -> IPNetwork:
    """An address or network with its host bits zero; public space only confirmed and small."""
    try:
        network = ip_network(text.strip(), strict=True)
    except ValueError:
        raise BadRequest(
            "Expected an address or a network such as 192.168.1.0/24 or fd00::/64 "
            "(with the host bits zero)."
        ) from None
    if is_public(network):
        if network.num_addresses > HANDFUL:
            raise BadRequest(f"Refused: {PUBLIC_ALLOWED}.")
        if not confirm_public:
            raise NeedsConfirmation(CONFIRM_PUBLIC.format(network=network))
    return network


def stored(db: Database) -> list[dict[str, Any]]:
    """The stored entries, oldest first."""
    rows = db.query("SELECT network, by_user, at FROM ip_ban_allow ORDER BY at")
    return [{"network": row[0], "by": row[1], "at": row[2]} for row in rows]


def apply(bans: BanManager, http: HttpSection, db: Database) -> None:
    """Make the running policy allow the configured and the stored entries."""
    networks = [*http.ip_ban_allowlist, *http.trusted_proxies]
    networks += [entry["network"] for entry in stored(db)]
    bans.policy = dataclasses.replace(bans.policy, allowlist=policy_allowlist(networks))


async def add(
    bans: BanManager, http: HttpSection, db: Database, network: IPNetwork, by: str, ip: str
) -> dict[str, Any]:
    """Store an entry (audited) and apply it."""
    entry = {"network": str(network), "by": by, "at": datetime.now(UTC).isoformat()}
    row = audit_row("ban_allow_added", username=by, ip=ip, details={"network": str(network)})

    def store(conn: sqlite3.Connection) -> None:
        count = conn.execute("SELECT count(*) FROM ip_ban_allow").fetchone()[0]
        if count >= MAX_ENTRIES:
            raise BadRequest(f"The allow-list holds at most {MAX_ENTRIES} entries.")
        try:
            conn.execute(
                "INSERT INTO ip_ban_allow (network, by_user, at) VALUES (?, ?, ?)",
                (entry["network"], by, entry["at"]),
            )
        except sqlite3.IntegrityError:
            raise Conflict(f"{network} is already on the allow-list.") from None
        insert_audit(conn, row)

    await db.write(store)
    apply(bans, http, db)
    return entry


async def remove(
    bans: BanManager, http: HttpSection, db: Database, network: str, by: str, ip: str
) -> None:
    """Delete a stored entry (audited) and apply the change."""
    row = audit_row("ban_allow_removed", username=by, ip=ip, details={"network": network})

    def delete(conn: sqlite3.Connection) -> bool:
        gone = conn.execute("DELETE FROM ip_ban_allow WHERE network = ?", (network,)).rowcount
        if gone:
            insert_audit(conn, row)
        return bool(gone)

    if not await db.write(delete):
        raise NotFound(f"{network} is not on the stored allow-list.")
    apply(bans, http, db)
