"""Local network only, unless remote access is turned on (and then only over TLS or a proxy)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Final

from aiohttp import web

from hearth import const
from hearth.exceptions import ConfigError, PermissionDenied
from hearth.http.log_limit import LogLimiter
from hearth.http.network import NetworkSet, local_networks, parse_networks, peer_ip
from hearth.http.refusals import Refusal
from hearth.http.tls.profiles import tls_enabled
from hearth.http.view import client_ip

if TYPE_CHECKING:
    from hearth.config.schema import Config, HttpSection

_LOGGER = logging.getLogger(__name__)

LOCAL_ONLY_MESSAGE: Final = (
    "This hub only answers clients on its local network. To allow access from elsewhere, set "
    "`remote_access: true` under `http:` in configuration.yaml; remote access needs TLS "
    "(ssl_certificate and ssl_key) or a reverse proxy listed in trusted_proxies."
)
PROXY_ONLY_MESSAGE: Final = (
    "Remote clients must connect through the reverse proxy: this hub does not serve TLS itself."
)
_LOCAL_ONLY: Final = Refusal(PermissionDenied.status, LOCAL_ONLY_MESSAGE)
_PROXY_ONLY: Final = Refusal(PermissionDenied.status, PROXY_ONLY_MESSAGE)


def check_remote_access(config: Config) -> None:
    """Refuse to start with remote access on unless traffic is encrypted on the way in."""
    http = config.http
    if not http.remote_access or tls_enabled(config):
        return
    if http.use_x_forwarded_for and http.trusted_proxies:
        return
    # Threat: a forwarded port or an exposed host serving passwords and tokens in cleartext.
    raise ConfigError(
        "remote access needs encryption: serve TLS (set ssl_certificate and ssl_key) or put a "
        "TLS-terminating reverse proxy in front (set use_x_forwarded_for: true and "
        "trusted_proxies), or turn remote_access off",
        file=const.CONFIG_FILE,
        key="http.remote_access",
    )


def network_guard(config: Config) -> Callable[[web.Request], web.Response | None] | None:
    """The guard for this configuration, or None when every client may be served."""
    http: HttpSection = config.http
    local = local_networks(http.local_networks)
    refused = LogLimiter()

    if not http.remote_access:

        def local_only(request: web.Request) -> web.Response | None:
            client = client_ip(request)
            if client in local:
                return None
            # Threat: a port forwarded by mistake or a host exposed to the internet. Nothing,
            # not even a login form, is served outside the local networks unless asked for.
            if refused.allow(client):
                _LOGGER.warning(
                    "Refused a request from %s: not on a local network and http.remote_access "
                    "is off",
                    client,
                )
            return _LOCAL_ONLY.response()

        return local_only

    if tls_enabled(config):
        return None

    trusted: NetworkSet = NetworkSet(parse_networks(http.trusted_proxies))

    def proxy_only(request: web.Request) -> web.Response | None:
        client = client_ip(request)
        if client in local or peer_ip(request) in trusted:
            return None
        # Threat: with no TLS of its own, a remote client that reaches the hub directly (around
        # the proxy) would send its password in cleartext across the internet.
        if refused.allow(client):
            _LOGGER.warning(
                "Refused a request from %s: remote clients must come through a trusted proxy "
                "because the hub does not serve TLS",
                client,
            )
        return _PROXY_ONLY.response()

    return proxy_only
