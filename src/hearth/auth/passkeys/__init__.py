"""Passkeys (WebAuthn): a phishing-resistant second factor and a password-less first factor.

`ceremony` wraps the `webauthn` library (all CBOR, COSE and signature checks are its own),
`store` holds the SQL, `manager` the challenges and the rules, `rp` derives the relying party
from a request whose Host the hub has already checked.
"""
