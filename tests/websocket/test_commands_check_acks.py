"""hearth/check/acknowledge and /unacknowledge: admins only, audited, critical ones refused."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient

from hearth.check import service
from hearth.check.model import Check, CheckResult, Rule, Severity
from hearth.check.report import Report
from tests.websocket.conftest import WsClient

Client = TestClient[web.Request, web.Application]


async def test_acknowledge_over_the_websocket(admin_ws: WsClient, user_ws: WsClient) -> None:
    first: dict[str, Any] = await admin_ws.ok("hearth/check", offline=True)
    open_findings = [f for f in first["findings"] if f["severity"] in ("warn", "fail")]
    assert open_findings, "the test hub has something to acknowledge"
    target = open_findings[0]["id"]
    refused = await user_ws.error("hearth/check/acknowledge", rule_id=target, reason="x")
    assert refused["code"] == "unauthorized"
    unknown = await admin_ws.error("hearth/check/acknowledge", rule_id="no.such_rule", reason="x")
    assert unknown["code"] == "not_found"
    blank = await admin_ws.error("hearth/check/acknowledge", rule_id=target, reason=" \n ")
    assert blank["code"] == "invalid_format"
    ack = await admin_ws.ok("hearth/check/acknowledge", rule_id=target, reason="known and fine")
    assert ack["reason"] == "known and fine"
    again: dict[str, Any] = await admin_ws.ok("hearth/check", offline=True)
    marked = [f for f in again["findings"] if f["id"] == target]
    assert all(f["acknowledged"]["by"] == ack["by"] for f in marked)
    log = await admin_ws.ok("audit/log", event="check_finding_acknowledged")
    assert log[0]["details"] == {"rule_id": target, "reason": "known and fine"}
    await admin_ws.ok("hearth/check/unacknowledge", rule_id=target)
    gone = await admin_ws.error("hearth/check/unacknowledge", rule_id=target)
    assert gone["code"] == "not_found"


async def test_critical_findings_cannot_be_acknowledged(admin_ws: WsClient, client: Client) -> None:
    critical = Rule("demo.critical", Severity.FAIL, "Critical", "test", "fix", critical=True)
    check = Check("demo", "Demo", (critical,), lambda _ctx: ())
    result = CheckResult.of(check, (critical.found("bad"),))
    last = client.app[service.KEY_LAST_REPORT]
    last.report = Report((result,), datetime.now(UTC), "hub", "/c")
    refused = await admin_ws.error("hearth/check/acknowledge", rule_id="demo.critical", reason="x")
    assert refused["code"] == "invalid_format"
