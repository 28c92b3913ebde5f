"""Drive login flows: check passwords and codes, decide the next step, issue the code.

The HTTP views (JSON for apps, HTML for browsers) turn requests into calls here and `Outcome`s
back into responses; a credential failure in an outcome is reported by the view through
`record_auth_failure`, which needs the request.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any, Final

from hearth.auth import flow as wire
from hearth.auth.flow import (
    PASSWORD_PROVIDER,
    TRUSTED_PROVIDER,
    LoginFlow,
    LoginFlows,
    Step,
)
from hearth.auth.login_types import (
    INVALID_PASSKEY,
    LOCAL_ONLY_MESSAGE,
    PASSKEY_LOGIN_FIELD,
    PASSKEYS_UNAVAILABLE,
    Client,
    Outcome,
)
from hearth.auth.mfa.policy import mfa_required_for
from hearth.auth.passkeys.login_steps import PasskeySteps
from hearth.exceptions import BadRequest, Conflict, HearthError, InvalidCode, NotFound

if TYPE_CHECKING:
    from hearth.auth.codes import AuthCodes
    from hearth.auth.manager import AuthManager
    from hearth.auth.mfa.manager import MfaManager
    from hearth.auth.mfa.policy import MfaPolicy
    from hearth.auth.models import User
    from hearth.auth.passkeys.manager import PasskeyManager
    from hearth.auth.throttle import AccountThrottle
    from hearth.auth.trusted import TrustedNetworks

_LOGGER = logging.getLogger(__name__)

MAX_USERNAME_INPUT: Final = 256
MAX_FIELD_INPUT: Final = 4096
THROTTLED: Final = "login_throttled"  # the failure reason of a refusal by a full account queue
TOO_MANY_FLOWS: Final = "too_many_login_flows"  # flows begun beyond an address's allowance


class LoginService(PasskeySteps):
    """One per hub: the flows in progress and everything a step needs."""

    def __init__(
        self,
        auth: AuthManager,
        codes: AuthCodes,
        *,
        mfa: MfaManager | None,
        throttle: AccountThrottle | None,
        trusted: TrustedNetworks,
        mfa_policy: MfaPolicy | None,
        flows: LoginFlows | None = None,
        passkeys: PasskeyManager | None = None,
    ) -> None:
        self.auth = auth
        self.codes = codes
        self.mfa = mfa
        self.throttle = throttle
        self.trusted = trusted
        self.mfa_policy = mfa_policy
        self.flows = flows or LoginFlows()
        self.passkeys = passkeys

    def providers(self, client: Client) -> list[dict[str, Any]]:
        """The login methods open to this client (trusted networks only on a trusted network)."""
        found: list[dict[str, Any]] = [
            {"name": wire.PROVIDER_NAMES[PASSWORD_PROVIDER], "id": None, "type": PASSWORD_PROVIDER}
        ]
        if self.trusted_choices(client):
            found.append(
                {
                    "name": wire.PROVIDER_NAMES[TRUSTED_PROVIDER],
                    "id": None,
                    "type": TRUSTED_PROVIDER,
                }
            )
        return found

    def begin(self, provider: str, client_id: str, redirect_uri: str, client: Client) -> Outcome:
        """Start a flow (client id and redirect URI already checked by the caller)."""
        if provider not in (PASSWORD_PROVIDER, TRUSTED_PROVIDER):
            raise NotFound("Invalid handler specified")
        flow = self.flows.begin(
            provider=provider,
            client_id=client_id,
            redirect_uri=redirect_uri,
            ip=client.ip,
            remote=client.remote,
        )
        # Flows created faster than a person could count toward the IP ban, like a failure.
        failure = TOO_MANY_FLOWS if flow.over_quota else None
        if provider == TRUSTED_PROVIDER:
            choices = self.trusted_choices(client)
            if not choices:
                self.flows.finish(flow)
                return Outcome(wire.abort(flow, "not_allowed"), failure=failure)
            return Outcome(wire.form(flow, wire.user_schema(choices)), failure=failure)
        return Outcome(wire.form(flow, wire.PASSWORD_SCHEMA), failure=failure)

    async def step(self, flow: LoginFlow, data: dict[str, Any], client: Client) -> Outcome:
        """Advance `flow` (already matched to the client) with the submitted fields."""
        if flow.busy:
            # Threat: parallel submissions of one MFA step would each get a guess past the
            # per-flow limit; one at a time.
            raise Conflict("This login step is already being checked.")
        flow.busy = True
        try:
            return await self._step(flow, data, client)
        finally:
            flow.busy = False

    async def _step(self, flow: LoginFlow, data: dict[str, Any], client: Client) -> Outcome:
        if flow.step is Step.INIT and flow.provider == TRUSTED_PROVIDER:
            return await self._choose_user(flow, data, client)
        if flow.step is Step.INIT and data.get(PASSKEY_LOGIN_FIELD):
            return self._begin_passwordless(flow, client)
        if flow.step is Step.INIT:
            return await self._password(flow, data, client)
        if flow.step is Step.PASSKEY:
            return await self._passwordless(flow, data, client)
        if flow.step is Step.MFA and "passkey" in data:
            return await self._mfa_passkey(flow, data, client)
        if flow.step is Step.MFA:
            return await self._mfa(flow, data, client)
        if flow.step is Step.MFA_SETUP:
            return await self._mfa_setup(flow, data, client)
        return self._finish(flow, client)

    # Step: username and password

    async def _password(self, flow: LoginFlow, data: dict[str, Any], client: Client) -> Outcome:
        username, password = data.get("username"), data.get("password")
        if not isinstance(username, str) or not isinstance(password, str):
            raise BadRequest("Both username and password are required.")
        if len(username) > MAX_USERNAME_INPUT or len(password) > MAX_FIELD_INPUT:
            raise BadRequest("The username or password is too long.")
        tried = username.strip()
        refused = wire.form(flow, wire.PASSWORD_SCHEMA, errors={"base": "invalid_auth"})
        attempt = None
        if self.throttle is not None:
            attempt = self.throttle.attempt(tried, remote=client.remote, source=str(client.ip))
            if not attempt.admitted:
                # The account's queue is full: refused unchecked, answered as a wrong password.
                _LOGGER.debug(
                    "Login attempt from %s refused: the account's queue is full", client.ip
                )
                failure = THROTTLED if attempt.counts else None
                return Outcome(refused, failure=failure, username=tried)
        try:
            if attempt is not None and attempt.delay > 0:
                await asyncio.sleep(attempt.delay)
            # Unknown users, wrong passwords and inactive users cost the same time and give the
            # same answer, so the answer tells nobody which usernames exist.
            user = await self.auth.authenticate(username, password)
        finally:
            if attempt is not None:
                attempt.release()
        if user is None:
            if self.throttle is not None:
                self.throttle.record_failure(tried, remote=client.remote)
            return Outcome(refused, failure="invalid_auth", username=tried)
        if self.throttle is not None:
            self.throttle.record_success(tried, remote=client.remote)
        return await self._authenticated(flow, user, client)

    # Step: trusted networks

    def trusted_choices(self, client: Client) -> list[tuple[str, str]]:
        """(user id, name) of the active users this client may log in as without a password."""
        names = self.trusted.usernames_for(client.ip) if self.trusted else ()
        choices = []
        for username in names:
            user = self.auth.get_user_by_username(username)
            if user is not None and user.is_active:
                choices.append((user.id, user.name))
        return choices

    async def _choose_user(self, flow: LoginFlow, data: dict[str, Any], client: Client) -> Outcome:
        chosen = data.get("user")
        allowed = dict(self.trusted_choices(client))
        user = self.auth.get_user(chosen) if isinstance(chosen, str) and chosen in allowed else None
        if user is None or not user.is_active:
            self.flows.finish(flow)
            return Outcome(wire.abort(flow, "not_allowed"))
        return await self._authenticated(flow, user, client)

    # After the first factor

    async def _authenticated(self, flow: LoginFlow, user: User, client: Client) -> Outcome:
        """The user is known (password or trusted network): the second factor, or done."""
        if user.local_only and client.remote:
            # Checked after the password, so it reveals nothing to someone without it.
            self.flows.finish(flow)
            return Outcome({"message": LOCAL_ONLY_MESSAGE}, status=403)
        flow.user_id = user.id
        mfa = self.mfa
        has_passkey = self.passkeys is not None and self.passkeys.has_passkeys(user.id)
        if has_passkey or (mfa is not None and mfa.has_mfa(user.id)):
            # A passkey is a second factor: it satisfies `mfa_required` as TOTP does.
            flow.step = Step.MFA
            return self._mfa_form(flow, client)
        if mfa is not None and mfa_required_for(
            user,
            remote=client.remote,
            policy=self.mfa_policy,
            any_admin_has_mfa=mfa.any_admin_has_mfa(),
        ):
            # Led through setup now: this login completes only once MFA is set up.
            flow.step = Step.MFA_SETUP
            return await self._start_setup(flow, user, client)
        return self._finish(flow, client)

    # Step: MFA code (or a passkey)

    def _mfa_form(
        self, flow: LoginFlow, client: Client, errors: dict[str, str] | None = None
    ) -> Outcome:
        placeholders = {
            "mfa_module_name": wire.MFA_MODULE_NAME,
            **self._offer_passkey(flow, client),
        }
        body = wire.form(flow, wire.CODE_SCHEMA, errors=errors, placeholders=placeholders)
        return Outcome(body)

    async def _mfa(self, flow: LoginFlow, data: dict[str, Any], client: Client) -> Outcome:
        user = self._flow_user(flow)
        code = data.get("code")
        if not isinstance(code, str) or len(code) > MAX_USERNAME_INPUT:
            raise BadRequest("The code is required.")
        if self.mfa is None or not self.mfa.has_mfa(flow.user_id or ""):
            # Only passkeys: there is no code to check.
            return self._code_failed(
                flow, user, self._mfa_form(flow, client, {"base": "invalid_code"})
            )
        form = self._mfa_form(flow, client, {"base": "invalid_code"})
        if user is None:
            return self._code_failed(flow, user, form)
        checked = await self.mfa.check(
            user.id, code, ip=str(client.ip), user_agent=client.user_agent, remote=client.remote
        )
        if checked.accepted:
            return self._finish(flow, client)
        if not checked.counts:
            # Refused for a pause this client did not cause (misses from other addresses):
            # neither its flow's tries nor its IP ban pay for it; a recovery code still works.
            return form
        return self._code_failed(flow, user, form)

    def _code_failed(
        self,
        flow: LoginFlow,
        user: User | None,
        outcome: Outcome,
        failure: str = "invalid_mfa_code",
        *,
        abort_anonymous: bool = True,
    ) -> Outcome:
        flow.failures += 1
        outcome.failure = failure
        outcome.username = None if user is None else user.username
        if flow.failures >= wire.MAX_STEP_FAILURES or (user is None and abort_anonymous):
            self.flows.finish(flow)
            gone = user is None and abort_anonymous
            outcome.body = wire.abort(flow, "not_allowed" if gone else "too_many_retry")
        return outcome

    # Step: MFA setup at login

    async def _start_setup(
        self, flow: LoginFlow, user: User, client: Client, error: str | None = None
    ) -> Outcome:
        assert self.mfa is not None  # noqa: S101 - only reached with an MfaManager
        try:
            setup = await self.mfa.begin_totp_setup(user)
        except Conflict:
            # Set up meanwhile (another session): ask for a code instead.
            flow.step = Step.MFA
            return self._mfa_form(flow, client)
        flow.setup_id = setup.setup_id
        placeholders = {"code": setup.secret, "url": setup.otpauth_uri, "qr_code": setup.qr_svg}
        errors = {"base": error} if error else None
        return Outcome(wire.form(flow, wire.CODE_SCHEMA, errors=errors, placeholders=placeholders))

    async def _mfa_setup(self, flow: LoginFlow, data: dict[str, Any], client: Client) -> Outcome:
        user = self._flow_user(flow)
        code = data.get("code")
        if not isinstance(code, str) or len(code) > MAX_USERNAME_INPUT:
            raise BadRequest("The code is required.")
        assert self.mfa is not None  # noqa: S101 - only reached with an MfaManager
        if user is None or flow.setup_id is None:
            self.flows.finish(flow)
            return Outcome(wire.abort(flow, "not_allowed"))
        try:
            codes = await self.mfa.activate_totp(
                user.id, flow.setup_id, code, ip=str(client.ip), user_agent=client.user_agent
            )
        except InvalidCode:
            setup = self.mfa.pending_setup(user.id, flow.setup_id)
            if setup is None:
                return await self._start_setup(flow, user, client, "setup_expired")
            placeholders = {"code": setup.secret, "url": setup.otpauth_uri, "qr_code": setup.qr_svg}
            body = wire.form(
                flow, wire.CODE_SCHEMA, errors={"base": "invalid_code"}, placeholders=placeholders
            )
            return self._code_failed(flow, user, Outcome(body))
        except HearthError:  # expired or replaced meanwhile
            return await self._start_setup(flow, user, client, "setup_expired")
        flow.step = Step.RECOVERY_CODES
        flow.recovery_codes = codes
        placeholders = {"recovery_codes": "\n".join(codes)}
        return Outcome(wire.form(flow, [], placeholders=placeholders))

    # The end

    def _flow_user(self, flow: LoginFlow) -> User | None:
        user = None if flow.user_id is None else self.auth.get_user(flow.user_id)
        return user if user is not None and user.is_active else None

    def _finish(self, flow: LoginFlow, client: Client) -> Outcome:
        user = self._flow_user(flow)
        self.flows.finish(flow)
        if user is None:
            return Outcome(wire.abort(flow, "not_allowed"))
        code = self.codes.create(client_id=flow.client_id, user_id=user.id, provider=flow.provider)
        self.auth.audit.record(
            "login",
            user_id=user.id,
            username=user.username,
            ip=str(client.ip),
            user_agent=client.user_agent,
            details={
                "provider": flow.provider,
                "client_id": flow.client_id,
                "mfa": flow.step in (Step.MFA, Step.RECOVERY_CODES) or flow.passkey_used,
                **({"passkey": True} if flow.passkey_used else {}),
            },
        )
        _LOGGER.info("Login of %s from %s (%s)", user.username, client.ip, flow.provider)
        return Outcome(wire.create_entry(flow, code), user=user)


__all__ = [
    "INVALID_PASSKEY",
    "LOCAL_ONLY_MESSAGE",
    "MAX_FIELD_INPUT",
    "MAX_USERNAME_INPUT",
    "PASSKEYS_UNAVAILABLE",
    "PASSKEY_LOGIN_FIELD",
    "THROTTLED",
    "TOO_MANY_FLOWS",
    "Client",
    "LoginService",
    "Outcome",
]
