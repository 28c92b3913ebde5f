"""`hearth check` over the WebSocket, for administrators: the report, and acknowledging a
finding the owner accepts (hearth.check.acks)."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Annotated, Any, Final

from pydantic import Field

from hearth.check import acks, service
from hearth.exceptions import BadRequest, NotFound
from hearth.http.view import client_ip
from hearth.storage.audit import audit_row, insert_audit
from hearth.websocket.spec import CommandSpec, Params, command

if TYPE_CHECKING:
    import sqlite3

    from hearth.websocket.connection import Connection

RuleId = Annotated[str, Field(min_length=3, max_length=64, pattern=r"^[a-z]+\.[a-z_]+$")]


class CheckParams(Params):
    """Fields of hearth/check."""

    probe: bool = False  # also request the hub's own URL
    offline: bool = False  # do not ask the vulnerability database


@command("hearth/check", CheckParams, admin=True)
async def hearth_check(conn: Connection, msg_id: int, params: CheckParams) -> None:
    """The report, in the same JSON as `hearth check --json` and GET /api/hearth/check."""
    report = await service.report_for(conn.request.app, probe=params.probe, offline=params.offline)
    conn.send_result(msg_id, report.as_dict())


class AcknowledgeParams(Params):
    """Fields of hearth/check/acknowledge."""

    rule_id: RuleId
    reason: Annotated[str, Field(min_length=1, max_length=acks.MAX_REASON)]


def _store(conn: sqlite3.Connection, ack: acks.Ack, row: Any) -> None:
    acks.put(conn, ack)
    insert_audit(conn, row)


@command("hearth/check/acknowledge", AcknowledgeParams, admin=True)
async def acknowledge(conn: Connection, msg_id: int, params: AcknowledgeParams) -> None:
    """Accept a rule's findings from the latest report, with a reason; audited."""
    last = conn.request.app.get(service.KEY_LAST_REPORT)
    report = None if last is None else last.report
    found = (
        [] if report is None else [f for _c, f in report.findings() if f.rule.id == params.rule_id]
    )
    if not found:
        raise NotFound("The latest check found nothing under this rule id; run the check first.")
    if found[0].rule.critical:
        # A critical finding alone makes the hub unsafe: it is fixed, never accepted.
        raise BadRequest("This finding is critical: it cannot be acknowledged, only fixed.")
    reason = params.reason.strip()
    if not reason or not reason.isprintable():
        raise BadRequest("Give a reason in plain text.")
    ack = acks.Ack(params.rule_id, reason, conn.user.username, datetime.now(UTC).isoformat())
    row = audit_row(
        "check_finding_acknowledged",
        user_id=conn.user.id,
        username=conn.user.username,
        ip=str(client_ip(conn.request)),
        details={"rule_id": ack.rule_id, "reason": ack.reason},
    )
    await conn.auth.db.write(partial(_store, ack=ack, row=row))
    conn.send_result(msg_id, ack.as_dict())


class UnacknowledgeParams(Params):
    """Fields of hearth/check/unacknowledge."""

    rule_id: RuleId


@command("hearth/check/unacknowledge", UnacknowledgeParams, admin=True)
async def unacknowledge(conn: Connection, msg_id: int, params: UnacknowledgeParams) -> None:
    """Count a rule's findings against the grade again; audited."""
    row = audit_row(
        "check_finding_unacknowledged",
        user_id=conn.user.id,
        username=conn.user.username,
        ip=str(client_ip(conn.request)),
        details={"rule_id": params.rule_id},
    )

    def remove(db_conn: sqlite3.Connection) -> bool:
        removed = acks.delete(db_conn, params.rule_id)
        if removed:
            insert_audit(db_conn, row)
        return removed

    if not await conn.auth.db.write(remove):
        raise NotFound("This rule is not acknowledged.")
    conn.send_result(msg_id, {})


COMMANDS: Final[tuple[CommandSpec[Any], ...]] = (hearth_check, acknowledge, unacknowledge)
