"""Security headers on every response, and no software banner anywhere."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Final

from aiohttp import hdrs, web

if TYPE_CHECKING:
    from hearth.config.schema import HttpSection

CSP: Final = "Content-Security-Policy"
FRAME_OPTIONS: Final = "X-Frame-Options"
# JSON and other data: nothing may load, run or frame it.
API_CSP: Final = "default-src 'none'"
# Pages: our own files only; no inline script, no plugins, no <base> rewriting, no foreign forms.
HTML_CSP: Final = "default-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'"
FRAME_ANCESTORS: Final = "frame-ancestors 'self'"
# Home Assistant's dashboard (hearth.frontend): its own files; its index page's inline scripts
# only by their hashes, computed from the served page (no 'unsafe-inline' for scripts, no
# 'unsafe-eval'); data: images and fetches (icons and fonts it builds in memory); its own workers.
# Styles are the one relaxation: its components (Polymer's legacy ones among them) add <style>
# elements and style attributes at run time, whose text no hash can be computed for in advance.
# Injected CSS cannot run code; injected script is what this policy stops.
DASHBOARD_CSP: Final = (
    "default-src 'self'; script-src 'self' {scripts}; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self' data:; worker-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'"
)
# The frontend's files. A script served here may run as a worker (the service worker
# /sw-modern.js, module workers from /frontend_latest/): a worker runs under the policy of its
# own script's response, so these must let it import the frontend's modules and fetch from the
# hub. Nothing inline, nothing from elsewhere.
FRONTEND_FILE_CSP: Final = (
    "default-src 'self'; img-src 'self' data:; connect-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'"
)


def dashboard_csp(script_hashes: Iterable[str], *, frame_options: bool = True) -> str:
    """The dashboard page's policy, for the given script hash sources ('sha256-...')."""
    policy = DASHBOARD_CSP.format(scripts=" ".join(script_hashes))
    return f"{policy}; {FRAME_ANCESTORS}" if frame_options else policy


def frontend_file_csp(*, frame_options: bool = True) -> str:
    """The policy of the frontend's files (workers run under it)."""
    return f"{FRONTEND_FILE_CSP}; {FRAME_ANCESTORS}" if frame_options else FRONTEND_FILE_CSP


# Powerful browser features the hub's pages never use.
PERMISSIONS_POLICY: Final = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=()"
)

# Mozilla's recommendation: two years. No includeSubDomains: other hosts of the home's domain
# (a router, a printer) may not speak HTTPS.
HSTS: Final = "max-age=63072000"

API_PREFIX: Final = "/api/"

BASE_HEADERS: Final = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    FRAME_OPTIONS: "SAMEORIGIN",
    CSP: f"{API_CSP}; {FRAME_ANCESTORS}",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": PERMISSIONS_POLICY,
}


def security_headers(*, html: bool, frame_options: bool = True) -> dict[str, str]:
    """The headers for a data (html=False) or page response; frame_options=False allows framing."""
    headers = dict(BASE_HEADERS)
    policy = HTML_CSP if html else API_CSP
    if frame_options:
        headers[CSP] = f"{policy}; {FRAME_ANCESTORS}"
    else:
        headers[CSP] = policy
        del headers[FRAME_OPTIONS]
    return headers


_KEY_HEADERS: web.AppKey[tuple[dict[str, str], dict[str, str]]] = web.AppKey("hearth_headers")
_DEFAULT_HEADERS: Final = (security_headers(html=False), security_headers(html=True))


async def _add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """Runs for every prepared response, errors included."""
    headers = response.headers
    data_headers, page_headers = request.app.get(_KEY_HEADERS, _DEFAULT_HEADERS)
    chosen = page_headers if response.content_type == "text/html" else data_headers
    for name, value in chosen.items():
        headers.setdefault(name, value)
    if request.secure:  # HSTS means nothing over plain HTTP (browsers ignore it there)
        headers.setdefault(hdrs.STRICT_TRANSPORT_SECURITY, HSTS)
    if request.path.startswith(API_PREFIX):
        # Threat: states, tokens and user data left in a browser or proxy cache. Every API
        # answer, errors included, is for one authenticated client at one moment.
        headers[hdrs.CACHE_CONTROL] = "no-store"
    # aiohttp has added an (empty) Server header by now: send none at all.
    headers.popall(hdrs.SERVER, None)


def setup_headers(app: web.Application, http: HttpSection | None = None) -> None:
    """Install the security headers (`http: use_x_frame_options` decides about framing)."""
    frame_options = http.use_x_frame_options if http is not None else True
    app[_KEY_HEADERS] = (
        security_headers(html=False, frame_options=frame_options),
        security_headers(html=True, frame_options=frame_options),
    )
    app.on_response_prepare.append(_add_security_headers)
