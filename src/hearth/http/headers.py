"""Security headers on every response, and no software banner anywhere."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Final

from aiohttp import hdrs, web
from multidict import CIMultiDict

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


class ResponseHeaders:
    """What the hub adds to every response it sends, built once per application.

    One block of security headers per kind of response (data and errors, or a page; over TLS or
    not) is made here once and attached in one step; the per-request rules (no caching under
    some paths, CORS for listed origins) are a prefix test and a set lookup.
    """

    def __init__(self, *, frame_options: bool = True) -> None:
        self._blocks: dict[tuple[bool, bool], CIMultiDict[str]] = {}
        self._lines: dict[bool, bytes] = {}
        self.set_frame_options(frame_options)
        # Threat: states, tokens and user data left in a browser or proxy cache. Every answer
        # under these prefixes, errors included, is for one authenticated client at one moment.
        self.no_store: tuple[str, ...] = (API_PREFIX,)
        self.no_cache: tuple[str, ...] = ()  # also `Pragma: no-cache`, for HTTP/1.0 caches
        self.cors_origins: frozenset[str] = frozenset()

    def set_frame_options(self, frame_options: bool) -> None:
        """Whether pages may be framed by other sites' pages (False) or not (True)."""
        self.frame_options = frame_options
        # Pre-rendered answers made with these headers (hearth.http.refusals).
        self.rendered: dict[Any, bytes] = {}
        for secure in (False, True):
            for html in (False, True):
                block = security_headers(html=html, frame_options=frame_options)
                if secure:  # HSTS means nothing over plain HTTP (browsers ignore it there)
                    block[hdrs.STRICT_TRANSPORT_SECURITY] = HSTS
                self._blocks[html, secure] = CIMultiDict(block)
            data = self._blocks[False, secure]
            self._lines[secure] = "".join(f"{k}: {v}\r\n" for k, v in data.items()).encode()

    def block(self, *, html: bool, secure: bool) -> CIMultiDict[str]:
        """The security headers of a page (html) or of data and errors, over TLS or not."""
        return self._blocks[html, secure]

    def data_lines(self, *, secure: bool) -> bytes:
        """The data block as header lines (`Name: value\\r\\n` each), for pre-rendered replies."""
        return self._lines[secure]

    def per_request(self, path: str, headers: Mapping[str, str]) -> list[tuple[str, str]]:
        """The headers that depend on the request (its path and headers), as `add` sets them:
        caching rules and CORS."""
        found: list[tuple[str, str]] = []
        if path.startswith(self.no_store) or (self.no_cache and path.startswith(self.no_cache)):
            found.append((hdrs.CACHE_CONTROL, "no-store"))
            if self.no_cache and path.startswith(self.no_cache):
                found.append((hdrs.PRAGMA, "no-cache"))
        if self.cors_origins:
            found += self._cors(headers)
        return found

    def _cors(self, headers: Mapping[str, str]) -> list[tuple[str, str]]:
        origin = headers.get(hdrs.ORIGIN)
        if origin is None:
            return []
        if origin not in self.cors_origins:
            return [(hdrs.VARY, hdrs.ORIGIN)]
        # The exact origin, never `*`, and no Allow-Credentials: the API authenticates with a
        # bearer token that the page sets itself, so cookies are never needed cross-origin.
        return [(hdrs.VARY, hdrs.ORIGIN), (hdrs.ACCESS_CONTROL_ALLOW_ORIGIN, origin)]

    async def add(self, request: web.BaseRequest, response: web.StreamResponse) -> None:
        """The response-prepare signal: runs for every prepared response, errors included."""
        headers = response.headers
        content_type = headers.get(hdrs.CONTENT_TYPE)
        html = content_type is not None and content_type.startswith("text/html")
        block = self._blocks[html, request.secure]
        if CSP in headers or FRAME_OPTIONS in headers:
            # A view chose its own policy (the dashboard, Hearth's pages): the rest fills in.
            for name, value in block.items():
                headers.setdefault(name, value)
        else:
            # No view sets any other header of the block: all of it goes in at once.
            headers.extend(block)
        path = request.path
        if path.startswith(self.no_store) or (self.no_cache and path.startswith(self.no_cache)):
            headers[hdrs.CACHE_CONTROL] = "no-store"
            if self.no_cache and path.startswith(self.no_cache):
                headers[hdrs.PRAGMA] = "no-cache"
        if self.cors_origins:
            for name, value in self._cors(request.headers):
                if name == hdrs.VARY:
                    headers.add(name, value)  # to what the view varies on
                else:
                    headers[name] = value
        # aiohttp has added an (empty) Server header by now: send none at all.
        headers.popall(hdrs.SERVER, None)


KEY_RESPONSE_HEADERS: web.AppKey[ResponseHeaders] = web.AppKey("hearth_response_headers")
_DEFAULT: Final = ResponseHeaders()


def response_headers(app: web.Application) -> ResponseHeaders:
    """The application's response headers (the defaults when it installed none)."""
    return app.get(KEY_RESPONSE_HEADERS, _DEFAULT)


def hub_only(app: web.Application) -> bool:
    """Whether these headers are all the application adds to a response as it is prepared."""
    signals = app.on_response_prepare
    spec = app.get(KEY_RESPONSE_HEADERS)
    return spec is not None and len(signals) == 1 and signals[0] == spec.add


def installed(app: web.Application) -> ResponseHeaders:
    """The application's response headers, installed (with the defaults) on first use."""
    spec = app.get(KEY_RESPONSE_HEADERS)
    if spec is None:
        spec = app[KEY_RESPONSE_HEADERS] = ResponseHeaders()
        app.on_response_prepare.append(spec.add)
    return spec


def setup_headers(app: web.Application, http: HttpSection | None = None) -> None:
    """Install the response headers (`http: use_x_frame_options` decides about framing)."""
    installed(app).set_frame_options(http.use_x_frame_options if http is not None else True)


def no_store(app: web.Application, prefixes: Iterable[str]) -> None:
    """Answers under these path prefixes may not be cached (Cache-Control and Pragma)."""
    spec = installed(app)
    spec.no_cache = (*spec.no_cache, *prefixes)
