"""local_only users: refused from non-local addresses with 403 (never counted as a failed
login), over REST and the WebSocket; everyone else is unaffected."""

from __future__ import annotations

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from hearth.auth.manager import AuthManager
from hearth.websocket import URL
from tests.conftest import STRONG_PASSWORD

Client = TestClient[web.Request, web.Application]


@pytest.fixture
def remote(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pretend every client is outside the local networks."""
    monkeypatch.setattr("hearth.http.auth.request_is_local", lambda _request: False)
    monkeypatch.setattr("hearth.websocket.handshake.request_is_local", lambda _request: False)


async def token_for(auth: AuthManager, username: str, *, local_only: bool) -> str:
    user = await auth.create_user(username, STRONG_PASSWORD, local_only=local_only)
    refresh, _ = await auth.create_refresh_token(user)
    return auth.create_access_token(refresh)


@pytest.mark.usefixtures("remote")
async def test_local_only_user_is_refused_from_outside(
    client: Client, auth: AuthManager, caplog: pytest.LogCaptureFixture
) -> None:
    kid = await token_for(auth, "kid", local_only=True)
    resp = await client.get("/api/", headers={"Authorization": f"Bearer {kid}"})
    assert resp.status == 403
    assert "local network" in (await resp.json())["message"]
    assert "Login failed" not in caplog.text
    parent = await token_for(auth, "parent", local_only=False)
    assert (await client.get("/api/", headers={"Authorization": f"Bearer {parent}"})).status == 200


@pytest.mark.usefixtures("remote")
async def test_local_only_user_is_refused_on_the_websocket(
    client: Client, auth: AuthManager, caplog: pytest.LogCaptureFixture
) -> None:
    kid = await token_for(auth, "kid", local_only=True)
    ws = await client.ws_connect(URL)
    assert (await ws.receive_json())["type"] == "auth_required"
    await ws.send_json({"type": "auth", "access_token": kid})
    reply = await ws.receive_json()
    assert reply["type"] == "auth_invalid"
    assert "local network" in reply["message"]
    assert "Login failed" not in caplog.text
    await ws.close()


async def test_local_only_user_is_served_locally(client: Client, auth: AuthManager) -> None:
    kid = await token_for(auth, "kid", local_only=True)
    assert (await client.get("/api/", headers={"Authorization": f"Bearer {kid}"})).status == 200


async def test_use_is_recorded(client: Client, auth: AuthManager) -> None:
    token = await token_for(auth, "kid", local_only=False)
    await client.get("/api/", headers={"Authorization": f"Bearer {token}"})
    await auth.db.flush()  # the last use is bookkeeping, committed in batches
    (refresh,) = auth.list_refresh_tokens()
    assert refresh.last_used_ip == "127.0.0.1"
