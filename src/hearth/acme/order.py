"""One ACME order through the `acme` library: account, order, challenges, certificate.

Blocking (the library speaks HTTP with `requests`): the hub runs it in a thread of its own, the
CLI in the foreground. Every failure becomes one AcmeFailure whose message is a single line
saying what went wrong, in the CA's words where it gave any.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, cast
from urllib.parse import urlsplit

import requests
from acme import challenges, client, crypto_util, errors, messages
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from josepy import b64
from josepy.errors import Error as JoseError
from josepy.jwa import ES256
from josepy.jwk import JWKEC

from hearth import __version__, const
from hearth.acme.challenges import ChallengeStore
from hearth.acme.dns_hook import DnsHook, HookFailed
from hearth.acme.files import AcmeFilesProblem, AcmePaths, load_or_create_account_key, private_pem
from hearth.acme.state import clean_reason
from hearth.certs.validate import dns_names

if TYPE_CHECKING:
    from hearth.config.acme_fields import AcmeSection

# Threat: the library logs every signed request and every answer at debug level; a hub run with
# --log-level debug would write them out. Its info lines and above are enough.
logging.getLogger("acme").setLevel(logging.INFO)

USER_AGENT: Final = f"hearth/{__version__}"
_SPKI: Final = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)

Progress = Callable[[str], None]


class AcmeFailure(Exception):
    """The order failed; the message is one line naming the reason."""


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """What to order, from whom, and how to prove control of the names."""

    directory: str
    domains: list[str]
    challenge: str
    email: str | None = None
    key_type: str = "ecdsa"
    eab: tuple[str, str] | None = None  # (kid, base64url HMAC key)
    ca_bundle: Path | None = None
    dns_hook: Path | None = None

    @classmethod
    def from_section(cls, acme: AcmeSection, directory: str | None = None) -> OrderRequest:
        """The request the `http: acme:` section describes (`directory` overrides its CA)."""
        eab = None
        if acme.eab_kid is not None and acme.eab_hmac_key is not None:
            eab = (acme.eab_kid, acme.eab_hmac_key)
        return cls(
            directory=directory or acme.directory,
            domains=list(acme.domains),
            challenge=acme.challenge,
            email=acme.email,
            key_type=acme.key_type,
            eab=eab,
            ca_bundle=acme.ca_bundle,
            dns_hook=acme.dns_hook,
        )

    @property
    def server(self) -> str:
        """The CA's host name, for messages."""
        return urlsplit(self.directory).hostname or self.directory


@dataclass(frozen=True, slots=True)
class Issued:
    """A certificate the CA issued, with the new key it certifies."""

    fullchain: bytes
    key: bytes
    certificate: x509.Certificate
    account_created: bool


class _TlsAlpn01Response(challenges.KeyAuthorizationChallengeResponse):
    """The answer to a tls-alpn-01 challenge: an empty object, as for every challenge."""

    typ = "tls-alpn-01"


def public_trust() -> Path:
    """The public CAs requests verifies HTTPS with by default (certifi's bundle)."""
    return Path(requests.utils.DEFAULT_CA_BUNDLE_PATH)


def _new_key(key_type: str) -> ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey:
    """A fresh certificate key for every certificate: EC P-256, or RSA 2048 when asked for."""
    if key_type == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ec.generate_private_key(ec.SECP256R1())


def run_order(
    request: OrderRequest,
    paths: AcmePaths,
    store: ChallengeStore,
    *,
    progress: Progress,
    stop: threading.Event | None = None,
) -> Issued:
    """Obtain a certificate; AcmeFailure with one line of reason otherwise."""
    try:
        account_key, created = load_or_create_account_key(paths)
    except (AcmeFilesProblem, OSError) as err:
        raise AcmeFailure(str(err)) from None
    if created:
        progress(f"Created the account key {paths.account_key} (EC P-256, mode 0600)")
    jwk = JWKEC(key=account_key)
    net = client.ClientNetwork(
        jwk, alg=ES256, user_agent=USER_AGENT, timeout=const.ACME_NETWORK_TIMEOUT
    )
    if request.ca_bundle is not None:
        # requests takes a CA file where the library's annotation says bool.
        cast(Any, net).verify_ssl = str(request.ca_bundle)
    try:
        return _order(request, paths, store, jwk, net, progress, stop, created)
    except AcmeFailure:
        raise
    except errors.ValidationError as err:
        raise AcmeFailure(_validation_reason(err)) from None
    except errors.TimeoutError:
        raise AcmeFailure(
            f"the CA did not finish within {const.ACME_ORDER_TIMEOUT:.0f} seconds"
        ) from None
    except messages.Error as err:
        raise AcmeFailure(_problem(err)) from None
    except requests.exceptions.SSLError:
        raise AcmeFailure(
            f"cannot verify the certificate of the ACME server {request.server} (for a private "
            "CA, set ca_bundle)"
        ) from None
    except requests.exceptions.RequestException as err:
        raise AcmeFailure(
            f"cannot reach the ACME server {request.server}: {type(err).__name__}"
        ) from None
    except (errors.Error, JoseError, ValueError, KeyError) as err:
        raise AcmeFailure(
            f"the ACME server {request.server} answered unexpectedly: {err}"
        ) from None
    finally:
        net.session.close()


def _order(
    request: OrderRequest,
    paths: AcmePaths,
    store: ChallengeStore,
    jwk: JWKEC,
    net: client.ClientNetwork,
    progress: Progress,
    stop: threading.Event | None,
    created: bool,
) -> Issued:
    progress(f"Contacting {request.directory}")
    directory = client.ClientV2.get_directory(request.directory, net)
    acme = client.ClientV2(directory, net)
    _register(acme, jwk, request, paths, progress)
    key = _new_key(request.key_type)
    csr = crypto_util.make_csr(private_pem(key), list(request.domains))
    progress(f"Ordering a certificate for {', '.join(request.domains)}")
    order = acme.new_order(csr)
    deadline = dt.datetime.now() + dt.timedelta(seconds=const.ACME_ORDER_TIMEOUT)
    cleanups: list[Callable[[], None]] = []
    try:
        for authz in order.authorizations:
            _check_stop(stop)
            name = authz.body.identifier.value
            if authz.body.status == messages.STATUS_VALID:
                progress(f"{name}: already validated for this account")
                continue
            response, cleanup = _answer(authz, request, store, jwk)
            cleanups.append(cleanup)
            challb = _pick(authz, request.challenge)
            progress(f"{name}: answering the {request.challenge} challenge")
            acme.answer_challenge(challb, response)
        _check_stop(stop)
        progress("Waiting for the CA to validate")
        order = acme.poll_authorizations(order, deadline)
        progress("Validated; asking for the certificate")
        order = acme.finalize_order(order, deadline)
    finally:
        for cleanup in cleanups:
            cleanup()
    fullchain = str(order.fullchain_pem).encode("ascii")
    certificate = _check_certificate(fullchain, key, request.domains)
    return Issued(fullchain, private_pem(key), certificate, created)


def _check_stop(stop: threading.Event | None) -> None:
    if stop is not None and stop.is_set():
        raise AcmeFailure("stopped before the order finished")


def _register(
    acme: client.ClientV2,
    jwk: JWKEC,
    request: OrderRequest,
    paths: AcmePaths,
    progress: Progress,
) -> None:
    """Register the account key, or find the account it already has (same key, same account)."""
    binding = None
    if request.eab is not None:
        kid, hmac_key = request.eab
        binding = messages.ExternalAccountBinding.from_data(
            jwk.public_key(), kid, hmac_key, acme.directory
        )
    elif acme.external_account_required():
        raise AcmeFailure(
            f"the CA at {request.server} needs external account binding: set eab_kid and "
            "eab_hmac_key from your account there"
        )
    # Hearth agrees to the CA's terms of service on the owner's behalf (as certbot's --agree-tos).
    registration = messages.NewRegistration.from_data(
        email=request.email, terms_of_service_agreed=True, external_account_binding=binding
    )
    try:
        account = acme.new_account(registration)
        progress(f"Registered a new account at {request.server}")
    except errors.ConflictError as existing:
        account = messages.RegistrationResource(uri=existing.location, body=messages.Registration())
        acme.net.account = account
        progress(f"Using the existing account at {request.server}")
    try:
        known = paths.read_json(paths.account)
    except AcmeFilesProblem:
        known = {}
    if known.get(request.directory) != account.uri:
        paths.write_json(paths.account, {**known, request.directory: account.uri})


def _pick(authz: messages.AuthorizationResource, kind: str) -> messages.ChallengeBody:
    for challb in authz.body.challenges:
        if challb.chall.typ == kind or (
            isinstance(challb.chall, challenges.UnrecognizedChallenge)
            and challb.chall.jobj.get("type") == kind
        ):
            return challb
    offered = ", ".join(sorted({_type(challb) for challb in authz.body.challenges}))
    raise AcmeFailure(
        f"the CA offers no {kind} challenge for {authz.body.identifier.value} (it offers "
        f"{offered or 'none'}); choose one of those as challenge:"
    )


def _type(challb: messages.ChallengeBody) -> str:
    if isinstance(challb.chall, challenges.UnrecognizedChallenge):
        return str(challb.chall.jobj.get("type"))
    return str(challb.chall.typ)


def _token(challb: messages.ChallengeBody) -> str:
    if isinstance(challb.chall, challenges.UnrecognizedChallenge):
        return str(challb.chall.jobj.get("token", ""))
    return str(challb.chall.encode("token"))


def _answer(
    authz: messages.AuthorizationResource,
    request: OrderRequest,
    store: ChallengeStore,
    jwk: JWKEC,
) -> tuple[challenges.ChallengeResponse, Callable[[], None]]:
    """Put the answer where the CA will look, and say how to take it away again."""
    challb = _pick(authz, request.challenge)
    token = _token(challb)
    thumbprint = b64.b64encode(jwk.public_key().thumbprint()).decode("ascii")
    key_authorization = f"{token}.{thumbprint}"  # RFC 8555, 8.1
    name = authz.body.identifier.value
    if request.challenge == "http-01":
        store.put_http01(token, key_authorization)
        return challenges.HTTP01Response(key_authorization=key_authorization), (
            lambda: store.remove_http01(token)
        )
    if request.challenge == "tls-alpn-01":
        store.put_tls_alpn(name, key_authorization, dt.datetime.now(dt.UTC))
        return _TlsAlpn01Response(key_authorization=key_authorization), (
            lambda: store.remove_tls_alpn(name)
        )
    chall = challb.chall
    if not isinstance(chall, challenges.DNS01) or request.dns_hook is None:
        raise AcmeFailure("dns-01 needs dns_hook")
    hook = DnsHook(request.dns_hook)
    record = chall.validation_domain_name(name)
    value = chall.validation(jwk)
    try:
        hook.run("add", name, record, value)
    except HookFailed as err:
        raise AcmeFailure(str(err)) from None
    return chall.response(jwk), lambda: hook.run_quietly("remove", name, record, value)


def _check_certificate(fullchain: bytes, key: Any, domains: list[str]) -> x509.Certificate:
    """The leaf must certify our new key and every name asked for."""
    try:
        chain = x509.load_pem_x509_certificates(fullchain)
    except ValueError:
        raise AcmeFailure("the CA sent a certificate that cannot be read") from None
    leaf = chain[0]
    if leaf.public_key().public_bytes(*_SPKI) != key.public_key().public_bytes(*_SPKI):
        raise AcmeFailure("the CA sent a certificate for another key")
    missing = [name for name in domains if name not in dns_names(leaf)]
    if missing:
        raise AcmeFailure(f"the CA sent a certificate that does not cover {', '.join(missing)}")
    return leaf


def _problem(err: messages.Error) -> str:
    """An ACME problem document as one line: `rateLimited: too many certificates ...`."""
    code = err.code or "error"
    return clean_reason(f"{code}: {err.detail or err.description or err.typ}")


def _validation_reason(err: errors.ValidationError) -> str:
    """Which name failed validation, and the CA's reason."""
    parts = []
    for authz in err.failed_authzrs:
        reasons = [_problem(c.error) for c in authz.body.challenges if c.error is not None]
        parts.append(f"{authz.body.identifier.value}: {'; '.join(reasons) or 'not validated'}")
    return clean_reason("validation failed for " + " / ".join(parts))
