"""GET and POST /onboarding: create the owner of a new hub with the setup code."""

from __future__ import annotations

from typing import Final

from aiohttp import web
from yarl import URL

from hearth.auth.onboarding import PAGE_PATH, InvalidSetupCode
from hearth.auth.views import KEY_ONBOARDING
from hearth.exceptions import BadRequest, HearthError
from hearth.frontend import html
from hearth.frontend.authorize import PATH as AUTHORIZE_PATH
from hearth.frontend.html import e
from hearth.http.ban import record_auth_failure
from hearth.http.view import public, read_form

routes = web.RouteTableDef()

MAX_FIELD: Final = 4096


def login_url(request: web.Request) -> str:
    """The login page for this hub's own web client (as Home Assistant's frontend names it)."""
    origin = request.url.origin()
    return str(
        URL(AUTHORIZE_PATH).with_query(
            {
                "response_type": "code",
                "client_id": f"{origin}/",
                "redirect_uri": f"{origin}/?auth_callback=1",
            }
        )
    )


def _done_page(request: web.Request, title: str, text: str) -> web.Response:
    body = (
        f"<p>{e(text)}</p>"
        '<p><a class="button" href="/">Open the dashboard</a></p>'
        f'<p class="note">Or only <a href="{e(login_url(request))}">Log in</a> here, '
        "to check the new account.</p>"
    )
    return html.respond(title, body)


def _form(message: str | None = None, username: str = "", name: str = "") -> str:
    inner = (
        html.field(
            "Setup code (printed in the hub's console and log)",
            "setup_code",
            autocomplete="off",
            autofocus=True,
        )
        + html.field("Your name", "name", autocomplete="name", value=name)
        + html.field("Username", "username", autocomplete="username", value=username)
        + html.password_field("Password", "password", "new-password")
        + html.password_field("Password again", "password_again", "new-password")
        + '<p class="note">At least 12 characters. A few unrelated words make a good password; '
        "no need for symbols or digits.</p>"
    )
    intro = "<p>This hub has no users yet. Create its owner: the account that manages it.</p>"
    return intro + html.error(message) + html.form(PAGE_PATH, inner, "Create owner")


@routes.get(PAGE_PATH)
@public
async def onboarding_page(request: web.Request) -> web.Response:
    """The owner form, or a pointer to the login page once there is an owner."""
    if request.app[KEY_ONBOARDING].done:
        return _done_page(request, "Already set up", "This hub already has an owner.")
    return html.respond("Welcome to Hearth", _form())


@routes.post(PAGE_PATH)
@public
async def onboarding_submit(request: web.Request) -> web.Response:
    """Create the owner from the form."""
    onboarding = request.app[KEY_ONBOARDING]
    try:
        data = await read_form(request)
    except BadRequest as err:
        return html.respond("Welcome to Hearth", _form(err.message), status=400)
    values = {
        key: value if isinstance(value, str) and len(value) <= MAX_FIELD else ""
        for key in ("setup_code", "name", "username", "password", "password_again")
        for value in [data.get(key, "")]
    }
    username, name = values["username"], values["name"]
    if onboarding.done:
        return _done_page(request, "Already set up", "This hub already has an owner.")
    if values["password"] != values["password_again"]:
        message = "The two passwords differ. Type the same password twice."
        return html.respond("Welcome to Hearth", _form(message, username, name), status=400)
    try:
        owner = await onboarding.create_owner(
            values["setup_code"], username, values["password"], name or None
        )
    except InvalidSetupCode as err:
        record_auth_failure(request, reason="invalid_setup_code", username=username.strip())
        return html.respond(
            "Welcome to Hearth", _form(err.message, username, name), status=err.status
        )
    except HearthError as err:
        # The policy's reasons (never the password itself), a bad username, or already done.
        return html.respond(
            "Welcome to Hearth", _form(err.message, username, name), status=err.status
        )
    return _done_page(
        request,
        "Owner created",
        f"Welcome, {owner.name}. Open the dashboard and log in with your new account.",
    )
