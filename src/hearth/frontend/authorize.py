"""GET and POST /auth/authorize: the login page that apps and browsers open (OAuth-style).

Plain HTML forms drive the same login flows as the JSON API; the finished login redirects to the
client's redirect URI with `code` and `state`. Works without JavaScript.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from aiohttp import web
from yarl import URL

from hearth.auth.clients import form_action_source, valid_redirect_uri
from hearth.auth.flow import PASSWORD_PROVIDER, TRUSTED_PROVIDER, FlowMismatch, FlowNotFound, Step
from hearth.auth.login import PASSKEY_LOGIN_FIELD, Outcome
from hearth.auth.passkeys.rp import relying_party
from hearth.auth.views import KEY_LOGIN, KEY_ONBOARDING, client_of
from hearth.exceptions import BadRequest, HearthError
from hearth.frontend import html
from hearth.frontend.html import e
from hearth.frontend.recipient import recipient_notice
from hearth.http.ban import record_auth_failure
from hearth.http.view import public, read_form

routes = web.RouteTableDef()

PATH: Final = "/auth/authorize"
MAX_STATE_LENGTH: Final = 2048
ERRORS: Final = {
    "invalid_auth": "Wrong username or password.",
    "invalid_code": "That code is not valid. Enter the current code from your authenticator app, "
    "or one of your recovery codes.",
    "setup_expired": "The setup took too long. Scan this new code instead.",
    "invalid_passkey": "That passkey was not accepted. Try again, or use another way in.",
}
ABORTS: Final = {
    "too_many_retry": "Too many wrong codes. Start the login again.",
    "not_allowed": "This login is not allowed from here. Start again.",
}


@dataclass(frozen=True, slots=True)
class Params:
    """Who is logging in and where the code goes, as the client asked."""

    client_id: str
    redirect_uri: str
    state: str
    store_token: bool = False  # "keep me logged in": the dashboard keeps its tokens

    @classmethod
    def parse(cls, data: Any) -> Params | None:
        """From query or form fields; None unless the client and redirect URI are acceptable."""
        client_id, redirect_uri = data.get("client_id"), data.get("redirect_uri")
        state = data.get("state", "")
        if not isinstance(state, str) or len(state) > MAX_STATE_LENGTH:
            return None
        if not isinstance(client_id, str) or not isinstance(redirect_uri, str):
            return None
        if not valid_redirect_uri(client_id, redirect_uri):
            return None
        return cls(client_id, redirect_uri, state, data.get("store_token") == "true")

    def fields(self) -> dict[str, str | None]:
        return {
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "state": self.state,
            "store_token": "true" if self.store_token else None,
        }

    @property
    def form_action(self) -> str:
        """Forms here may end in a redirect to the client: the policy must allow its origin."""
        return form_action_source(self.redirect_uri)

    def notice(self, request: web.Request) -> str:
        """Who receives this login, shown above every step."""
        return recipient_notice(request, self.client_id, self.redirect_uri)

    def restart_url(self) -> str:
        query = {"response_type": "code", **{k: v for k, v in self.fields().items() if v}}
        return str(URL(PATH).with_query(query))


def _bad_request() -> web.Response:
    return html.respond(
        "Cannot log in",
        "<p>This login link is incomplete or names a client that may not receive a login. "
        "Open the app or page you came from and try again.</p>",
        status=400,
    )


def _login_form(request: web.Request, params: Params, message: str | None = None) -> str:
    fields = {**params.fields(), "provider": PASSWORD_PROVIDER, "store_token": None}
    inner = (
        html.hidden(fields)
        + html.field("Username", "username", autocomplete="username", autofocus=True)
        + html.password_field("Password", "password", "current-password")
        + html.checkbox("Keep me logged in on this device", "store_token", params.store_token)
    )
    body = params.notice(request) + html.error(message) + html.form(PATH, inner, "Log in")
    if relying_party(request) is not None and request.app[KEY_LOGIN].passkeys is not None:
        # No JavaScript needed to get there: the next page asks the browser for a passkey.
        passwordless = html.hidden(
            {**params.fields(), "provider": PASSWORD_PROVIDER, PASSKEY_LOGIN_FIELD: "1"}
        )
        body += '<hr class="or">' + html.form(PATH, passwordless, "Sign in with a passkey")
    choices = request.app[KEY_LOGIN].trusted_choices(client_of(request))
    if choices:
        trusted = html.hidden({**params.fields(), "provider": TRUSTED_PROVIDER}) + html.select(
            "Log in without a password as", "user", choices
        )
        body += '<hr><p class="note">This network is trusted.</p>' + html.form(
            PATH, trusted, "Continue"
        )
    return body


@routes.get(PATH)
@public
async def authorize_page(request: web.Request) -> web.Response:
    """The first step: username and password."""
    if not request.app[KEY_ONBOARDING].done:
        raise web.HTTPFound("/onboarding")
    params = Params.parse(request.query)
    if params is None:
        return _bad_request()
    return html.respond("Log in", _login_form(request, params), form_action=params.form_action)


@routes.post(PATH)
@public
async def authorize_submit(request: web.Request) -> web.Response:
    """A submitted step: the next step, the same step with an error, or the redirect."""
    try:
        data = await read_form(request)
    except BadRequest:
        return _bad_request()
    params = Params.parse(data)
    if params is None:
        return _bad_request()
    fields = {k: v for k, v in data.items() if isinstance(v, str) and k in _STEP_FIELDS}
    provider = data.get("provider", PASSWORD_PROVIDER)
    try:
        outcome = await _run(request, params, data.get("flow_id"), str(provider), fields)
    except (FlowNotFound, FlowMismatch):
        return _restart(params, "This login has expired.")
    except HearthError as err:
        return html.respond(
            "Log in",
            _login_form(request, params, err.message),
            status=err.status,
            form_action=params.form_action,
        )
    if outcome.failure is not None:
        record_auth_failure(request, reason=outcome.failure, username=outcome.username)
    return _render(request, params, outcome)


_STEP_FIELDS: Final = frozenset(
    {"username", "password", "code", "user", "passkey", PASSKEY_LOGIN_FIELD}
)


async def _run(
    request: web.Request, params: Params, flow_id: object, provider: str, fields: dict[str, Any]
) -> Outcome:
    """Continue the flow named in the form, or begin one and submit the first step at once."""
    login = request.app[KEY_LOGIN]
    client = client_of(request)
    if flow_id is None:
        started = login.begin(provider, params.client_id, params.redirect_uri, client)
        if started.failure is not None:  # flows begun beyond the address's allowance
            record_auth_failure(request, reason=started.failure)
        if started.body.get("type") != "form":
            return started
        flow_id = started.body["flow_id"]
    flow = login.flows.get(flow_id, client_id=params.client_id, ip=client.ip)
    return await login.step(flow, fields, client)


def _passkey_form(hidden: str, placeholders: dict[str, Any]) -> str:
    """A form that passkeys.js answers with `navigator.credentials.get()` (hidden without it)."""
    options = e(placeholders.get("passkey_options", ""))
    return (
        f'<form method="post" action="{PATH}" class="passkey" data-passkey-options="{options}"'
        f' hidden>{hidden}<input type="hidden" name="passkey" value="">'
        '<p class="note status" role="status"></p>'
        '<button type="submit">Use a passkey</button></form>'
    )


def _restart(params: Params, message: str) -> web.Response:
    body = f'<p>{e(message)}</p><p><a href="{e(params.restart_url())}">Start again</a></p>'
    return html.respond("Log in", body, status=400)


def _render(request: web.Request, params: Params, outcome: Outcome) -> web.Response:
    body = outcome.body
    if outcome.status != 200:
        return html.respond("Cannot log in", html.error(str(body.get("message"))), status=403)
    if body["type"] == "create_entry":
        query = {"code": body["result"], "state": params.state}
        if params.store_token:
            query["storeToken"] = "true"  # Home Assistant's frontend then keeps its tokens
        target = URL(params.redirect_uri).update_query(query)
        raise web.HTTPFound(str(target))
    if body["type"] == "abort":
        return _restart(params, ABORTS.get(body["reason"], "The login was stopped."))
    message = ERRORS.get(body["errors"].get("base", ""))
    step = Step(body["step_id"])
    if step is Step.INIT:
        return html.respond(
            "Log in", _login_form(request, params, message), form_action=params.form_action
        )
    hidden = html.hidden({**params.fields(), "flow_id": body["flow_id"]})
    placeholders = body.get("description_placeholders") or {}
    if step is Step.PASSKEY:
        content = (
            "<p>Use a passkey saved for this hub: your browser or phone will ask you to "
            "unlock it.</p>" + html.error(message) + _passkey_form(hidden, placeholders)
        )
        title = "Sign in with a passkey"
    elif step is Step.MFA:
        inner = hidden + html.field(
            "Code from your authenticator app (or a recovery code)",
            "code",
            autocomplete="one-time-code",
            autofocus=True,
        )
        content = html.error(message) + html.form(PATH, inner, "Verify")
        if placeholders.get("passkey_options"):
            content += '<hr class="or">' + _passkey_form(hidden, placeholders)
        title = "Two-step verification"
    elif step is Step.MFA_SETUP:
        inner = hidden + html.field(
            "Code shown by the app", "code", autocomplete="one-time-code", autofocus=True
        )
        content = (
            "<p>Your account needs two-step verification. Scan this code with an authenticator "
            "app (or enter the key by hand), then type the 6-digit code it shows.</p>"
            + html.svg_image(placeholders.get("qr_code", ""), "QR code for the authenticator app")
            + f'<p class="note">Key: <code>{e(placeholders.get("code", ""))}</code></p>'
            + html.error(message)
            + html.form(PATH, inner, "Turn on and continue")
        )
        title = "Set up two-step verification"
    else:
        codes = str(placeholders.get("recovery_codes", "")).split("\n")
        items = "".join(f"<li><code>{e(code)}</code></li>" for code in codes if code)
        content = (
            "<p>Save these recovery codes somewhere safe. Each one works once, if you lose "
            "your phone. They are shown only now.</p>"
            f'<ol class="codes">{items}</ol>'
            + html.form(PATH, hidden, "I have saved them, continue")
        )
        title = "Recovery codes"
    return html.respond(title, params.notice(request) + content, form_action=params.form_action)
