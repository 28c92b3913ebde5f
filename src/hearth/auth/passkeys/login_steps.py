"""The passkey steps of a login flow (a mixin of `hearth.auth.login.LoginService`).

A passkey answers the second step of a password login (only the passkeys of the user who gave
the password count) or, password-less, the first (any discoverable passkey, with user
verification). Each form carries a fresh challenge, held by the flow and taken at first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from hearth.auth import flow as wire
from hearth.auth.flow import LoginFlow, LoginFlows, Step
from hearth.auth.login_types import (
    INVALID_PASSKEY,
    LOCAL_ONLY_MESSAGE,
    PASSKEYS_UNAVAILABLE,
    Client,
    Outcome,
)
from hearth.exceptions import BadRequest

if TYPE_CHECKING:
    from hearth.auth.manager import AuthManager
    from hearth.auth.models import User
    from hearth.auth.passkeys.manager import PasskeyManager


class PasskeySteps:
    """Passkey steps; the service provides the flows, the users and how a flow ends."""

    auth: AuthManager
    flows: LoginFlows
    passkeys: PasskeyManager | None

    def _finish(self, flow: LoginFlow, client: Client) -> Outcome:
        raise NotImplementedError

    def _flow_user(self, flow: LoginFlow) -> User | None:
        raise NotImplementedError

    def _mfa_form(
        self, flow: LoginFlow, client: Client, errors: dict[str, str] | None = None
    ) -> Outcome:
        raise NotImplementedError

    def _code_failed(
        self,
        flow: LoginFlow,
        user: User | None,
        outcome: Outcome,
        failure: str = "invalid_mfa_code",
        *,
        abort_anonymous: bool = True,
    ) -> Outcome:
        raise NotImplementedError

    def _offer_passkey(self, flow: LoginFlow, client: Client) -> dict[str, str]:
        """At the second step: a new challenge for the user's passkeys, if any work here."""
        flow.passkey = None
        keys, user_id = self.passkeys, flow.user_id
        if keys is None or client.rp is None or user_id is None or not keys.has_passkeys(user_id):
            return {}
        held, options = keys.login_challenge(client.rp, user_id)
        flow.passkey = held
        return {"passkey_options": orjson.dumps(options).decode()}

    async def _mfa_passkey(self, flow: LoginFlow, data: dict[str, Any], client: Client) -> Outcome:
        """The second step answered with a passkey of the user who gave the password."""
        user = self._flow_user(flow)
        assert self.passkeys is not None  # noqa: S101 - flow.passkey is set only with a manager
        held, flow.passkey = flow.passkey, None  # single use, whatever happens next
        checked = await self.passkeys.check(
            held, data.get("passkey"), ip=str(client.ip), user_agent=client.user_agent
        )
        if user is not None and checked.accepted and checked.user_id == user.id:
            flow.passkey_used = True
            return self._finish(flow, client)
        outcome = self._mfa_form(flow, client, {"base": "invalid_passkey"})
        return self._code_failed(flow, user, outcome, INVALID_PASSKEY)

    # Step: password-less, with a discoverable passkey

    def _passwordless_form(
        self, flow: LoginFlow, client: Client, errors: dict[str, str] | None = None
    ) -> Outcome:
        assert self.passkeys is not None  # noqa: S101 - checked before
        assert client.rp is not None  # noqa: S101 - checked before
        held, options = self.passkeys.login_challenge(client.rp, None)
        flow.passkey = held
        placeholders = {"passkey_options": orjson.dumps(options).decode()}
        body = wire.form(flow, wire.PASSKEY_SCHEMA, errors=errors, placeholders=placeholders)
        return Outcome(body)

    def _begin_passwordless(self, flow: LoginFlow, client: Client) -> Outcome:
        if self.passkeys is None or client.rp is None:
            raise BadRequest(PASSKEYS_UNAVAILABLE)
        flow.step = Step.PASSKEY
        return self._passwordless_form(flow, client)

    async def _passwordless(self, flow: LoginFlow, data: dict[str, Any], client: Client) -> Outcome:
        assert self.passkeys is not None  # noqa: S101 - the step exists only with a manager
        if client.rp is None:
            raise BadRequest(PASSKEYS_UNAVAILABLE)
        held, flow.passkey = flow.passkey, None  # single use, whatever happens next
        checked = await self.passkeys.check(
            held, data.get("passkey"), ip=str(client.ip), user_agent=client.user_agent
        )
        user = None if checked.user_id is None else self.auth.get_user(checked.user_id)
        if not checked.accepted or user is None or not user.is_active:
            outcome = self._passwordless_form(flow, client, {"base": "invalid_passkey"})
            return self._code_failed(flow, user, outcome, INVALID_PASSKEY, abort_anonymous=False)
        if user.local_only and client.remote:
            self.flows.finish(flow)
            return Outcome({"message": LOCAL_ONLY_MESSAGE}, status=403)
        # A discoverable passkey with user verification is two factors in one (the device
        # and its PIN or biometric): it satisfies `mfa_required`.
        flow.user_id = user.id
        flow.passkey_used = True
        return self._finish(flow, client)
