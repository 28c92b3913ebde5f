"""The two WebAuthn ceremonies, as thin calls into the `webauthn` library.

Every check of what an authenticator sent (client data type, challenge, origin, RP id hash,
flags, attestation, signature) is the library's; this module only chooses the options and
turns the library's failures into one exception. No I/O.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import orjson

if TYPE_CHECKING:
    from webauthn.helpers.structs import PublicKeyCredentialDescriptor

# The `webauthn` library (with pyOpenSSL, pyasn1 and cbor2 behind it) is imported by the
# functions below when a ceremony first happens: a hub whose users have no passkeys never
# loads it, which saves about 60 ms of start-up and several MiB.

CHALLENGE_BYTES: Final = 32
CEREMONY_TIMEOUT_MS: Final = 300_000  # what the browser is told; the hub's limit is the same
MAX_RESPONSE_LENGTH: Final = 16_384  # characters of a credential's JSON


class CeremonyFailed(Exception):
    """What the authenticator sent does not verify (the reason is for the audit log only)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class RelyingParty:
    """Who the passkeys are for: the hub's checked host name and the page's origin."""

    id: str
    origin: str
    name: str = "Hearth"


@dataclass(frozen=True, slots=True)
class NewCredential:
    """A verified registration, ready to store."""

    id: str
    public_key: bytes
    sign_count: int
    aaguid: str
    transports: list[str]
    user_verified: bool


@dataclass(frozen=True, slots=True)
class Assertion:
    """A verified authentication: the credential's new sign count."""

    new_sign_count: int
    user_verified: bool


def new_challenge() -> bytes:
    """A fresh random challenge."""
    return secrets.token_bytes(CHALLENGE_BYTES)


def registration_options(
    rp: RelyingParty,
    *,
    user_handle: bytes,
    username: str,
    display_name: str,
    challenge: bytes,
    existing: list[str],
) -> dict[str, Any]:
    """`PublicKeyCredentialCreationOptions` as JSON: a discoverable credential (usable
    password-less), user verification preferred, no attestation, no duplicates."""
    from webauthn import generate_registration_options, options_to_json
    from webauthn.helpers.structs import (
        AuthenticatorSelectionCriteria,
        ResidentKeyRequirement,
        UserVerificationRequirement,
    )

    options = generate_registration_options(
        rp_id=rp.id,
        rp_name=rp.name,
        user_id=user_handle,
        user_name=username,
        user_display_name=display_name,
        challenge=challenge,
        timeout=CEREMONY_TIMEOUT_MS,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=[_descriptor(cid) for cid in existing],
    )
    result: dict[str, Any] = orjson.loads(options_to_json(options))
    return result


def authentication_options(
    rp: RelyingParty, *, challenge: bytes, allowed: list[str] | None, required_uv: bool
) -> dict[str, Any]:
    """`PublicKeyCredentialRequestOptions` as JSON. `allowed` None: any discoverable
    credential (password-less, user verification required)."""
    from webauthn import generate_authentication_options, options_to_json
    from webauthn.helpers.structs import UserVerificationRequirement

    options = generate_authentication_options(
        rp_id=rp.id,
        challenge=challenge,
        timeout=CEREMONY_TIMEOUT_MS,
        allow_credentials=None if allowed is None else [_descriptor(cid) for cid in allowed],
        user_verification=(
            UserVerificationRequirement.REQUIRED
            if required_uv
            else UserVerificationRequirement.PREFERRED
        ),
    )
    result: dict[str, Any] = orjson.loads(options_to_json(options))
    return result


def _descriptor(credential_id: str) -> PublicKeyCredentialDescriptor:
    from webauthn import base64url_to_bytes
    from webauthn.helpers.structs import PublicKeyCredentialDescriptor

    return PublicKeyCredentialDescriptor(id=base64url_to_bytes(credential_id))


def _check_size(response: str) -> None:
    if len(response) > MAX_RESPONSE_LENGTH:
        raise CeremonyFailed("too_large")


def verify_registration(rp: RelyingParty, response: str, challenge: bytes) -> NewCredential:
    """Verify a `navigator.credentials.create()` result (JSON); CeremonyFailed if it does not."""
    from webauthn import verify_registration_response
    from webauthn.helpers import bytes_to_base64url, parse_registration_credential_json
    from webauthn.helpers.exceptions import WebAuthnException

    _check_size(response)
    try:
        parsed = parse_registration_credential_json(response)
        verified = verify_registration_response(
            credential=parsed,
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
        )
    except (WebAuthnException, ValueError, TypeError, KeyError) as err:
        raise CeremonyFailed(f"registration_invalid: {type(err).__name__}") from None
    transports = [str(t.value) for t in (parsed.response.transports or [])]
    return NewCredential(
        id=bytes_to_base64url(verified.credential_id),
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        aaguid=verified.aaguid,
        transports=transports[:8],
        user_verified=verified.user_verified,
    )


def credential_id_of(response: str) -> str | None:
    """The `id` a `navigator.credentials.get()` result names (unverified), or None."""
    if len(response) > MAX_RESPONSE_LENGTH:
        return None
    try:
        data = orjson.loads(response)
    except orjson.JSONDecodeError:
        return None
    cid = data.get("id") if isinstance(data, dict) else None
    return cid if isinstance(cid, str) and 0 < len(cid) <= 1366 else None


def verify_assertion(
    rp: RelyingParty,
    response: str,
    challenge: bytes,
    *,
    public_key: bytes,
    required_uv: bool,
) -> Assertion:
    """Verify a `navigator.credentials.get()` result against a stored public key.

    The sign count is compared by the caller (it must be audited as a clone, apart from
    other failures), so the library is given 0 as the current count.
    """
    from webauthn import verify_authentication_response
    from webauthn.helpers.exceptions import WebAuthnException

    _check_size(response)
    try:
        verified = verify_authentication_response(
            credential=response,
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            credential_public_key=public_key,
            credential_current_sign_count=0,
            require_user_verification=required_uv,
        )
    except (WebAuthnException, ValueError, TypeError, KeyError) as err:
        raise CeremonyFailed(f"assertion_invalid: {type(err).__name__}") from None
    return Assertion(new_sign_count=verified.new_sign_count, user_verified=verified.user_verified)


def sign_count_regressed(stored: int, new: int) -> bool:
    """WebAuthn §6.1.1: a counter that does not grow (when either is non-zero) means a clone."""
    return (stored > 0 or new > 0) and new <= stored
