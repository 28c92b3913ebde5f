"""The login endpoints (Home Assistant's /auth/*) and the onboarding API (/api/onboarding)."""

from __future__ import annotations

from typing import Final

from aiohttp import hdrs, web

from hearth.auth.codes import AuthCodes
from hearth.auth.login import Client, LoginService
from hearth.auth.mfa import stored_policy
from hearth.auth.onboarding import Onboarding
from hearth.auth.passkeys.rp import relying_party
from hearth.auth.policy import PasswordPolicy
from hearth.auth.throttle import ThrottlePolicy
from hearth.auth.tokens.limits import token_limits
from hearth.auth.trusted import TrustedNetworks
from hearth.auth.username_hash import UsernameMask
from hearth.http.ban import KEY_ACCOUNT_THROTTLE, KEY_USERNAME_MASK
from hearth.http.headers import no_store
from hearth.http.keys import KEY_AUTH, KEY_CONFIG, KEY_MFA, KEY_PASSKEYS
from hearth.http.network import request_is_local
from hearth.http.view import client_ip

KEY_LOGIN: web.AppKey[LoginService] = web.AppKey("hearth_login")
KEY_ONBOARDING: web.AppKey[Onboarding] = web.AppKey("hearth_onboarding")

# Responses that may carry credentials (codes, tokens, setup forms) are never cached.
NO_STORE_PREFIXES: Final = ("/auth/", "/api/onboarding", "/onboarding")

__all__ = ["KEY_LOGIN", "KEY_ONBOARDING", "client_of", "setup"]


def client_of(request: web.Request) -> Client:
    """The client as the login flow sees it: real address, local or not, user agent."""
    return Client(
        ip=client_ip(request),
        remote=not request_is_local(request),
        user_agent=request.headers.get(hdrs.USER_AGENT),
        rp=relying_party(request),
    )


def setup(app: web.Application) -> None:
    """Apply `auth:` to the auth manager; add the login and onboarding routes."""
    from hearth.auth.passkeys import views as passkey_views
    from hearth.auth.views import login_flow, onboarding, token

    config = app[KEY_CONFIG]
    auth = app[KEY_AUTH]
    auth.policy = PasswordPolicy(
        min_length=config.auth.password_min_length, hub_name=config.homeassistant.name
    )
    mask = UsernameMask.open(
        auth.db.path.parent, lambda name: auth.get_user_by_username(name) is not None
    )
    app[KEY_USERNAME_MASK] = mask
    throttle = app.get(KEY_ACCOUNT_THROTTLE)
    if throttle is not None:
        throttle.shown = mask.shown
        throttle.policy = ThrottlePolicy(
            base_delay=config.auth.account_throttle.base_delay,
            max_delay=config.auth.account_throttle.max_delay,
            queue=config.auth.account_throttle.queue,
        )
    auth.limits = token_limits(config.auth)
    app[KEY_LOGIN] = LoginService(
        auth,
        AuthCodes(),
        mfa=app.get(KEY_MFA),
        throttle=throttle,
        trusted=TrustedNetworks.from_config(config.auth),
        mfa_policy=stored_policy.stored(auth.db) or config.auth.mfa_required,
        passkeys=app.get(KEY_PASSKEYS),
    )
    app[KEY_ONBOARDING] = Onboarding(auth)
    for module in (login_flow, token, onboarding, passkey_views):
        app.add_routes(module.routes)
    no_store(app, NO_STORE_PREFIXES)
    app.on_startup.append(_prune_tokens)


async def _prune_tokens(app: web.Application) -> None:
    """Expired sessions and tokens are deleted at every start."""
    await app[KEY_AUTH].prune_dead_tokens()
