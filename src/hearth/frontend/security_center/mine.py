"""The forms of "My security" (every user): password, two-step verification, a new token.

Plain forms with labels, filled in and sent by security.js over the WebSocket; nothing here
holds data.
"""

from __future__ import annotations

from typing import Final


def _field(
    label: str, name: str, kind: str = "text", autocomplete: str = "off", extra: str = ""
) -> str:
    return (
        f'<label for="mine-{name}">{label}</label>'
        f'<input id="mine-{name}" name="{name}" type="{kind}" autocomplete="{autocomplete}"'
        f" required{extra}>"
    )


_CODE: Final = ' inputmode="numeric" maxlength="64"'

PASSWORD_FORM: Final = (
    '<form id="password-form"><h3>Password</h3>'
    + _field("Current password", "current", "password", "current-password")
    + _field("New password", "new", "password", "new-password", ' aria-describedby="strength"')
    + '<p id="strength" class="note" aria-live="polite">At least 12 characters; a few unrelated '
    "words make a good password.</p>"
    + '<button type="submit">Change password</button>'
    + '<p class="result" role="status"></p></form>'
)

MFA_FORMS: Final = (
    '<div id="mfa"><h3>Two-step verification</h3><p id="mfa-state" class="note"></p>'
    '<button type="button" id="mfa-start" hidden>Set up an authenticator app</button>'
    '<form id="mfa-setup" hidden><p>Scan this code with your authenticator app, or type the '
    'key <code id="totp-secret"></code> into it.</p><img id="mfa-qr" alt="QR code of the key">'
    + _field("Code from the app", "setup-code", extra=_CODE)
    + '<button type="submit">Turn on</button></form>'
    '<form id="mfa-codes" hidden>'
    + _field("Current code from the app", "codes-code", extra=_CODE)
    + '<button type="submit">New recovery codes</button></form>'
    '<form id="mfa-remove" hidden>'
    + _field("Current code from the app", "remove-code", extra=_CODE)
    + '<button type="submit">Turn off two-step verification</button></form>'
    '<div id="recovery" hidden><p>Your recovery codes. Each works once, instead of a code '
    "from the app. Keep them somewhere safe: they are shown only now.</p>"
    '<ul id="recovery-codes"></ul></div><p class="result" role="status"></p></div>'
)

TOKEN_FORM: Final = (
    '<form id="token-form"><h3>Long-lived access token</h3>'
    + _field("Name (where it will be used)", "token-name")
    + '<label for="mine-token-days">Valid for (days)</label>'
    '<input id="mine-token-days" name="days" type="number" min="1" max="3650" value="365" required>'
    '<button type="submit">Create token</button>'
    '<div id="token-shown" hidden><label for="token-value">Your token (shown only once)</label>'
    '<input id="token-value" type="text" readonly>'
    '<button type="button" id="token-copy">Copy</button></div>'
    '<p class="result" role="status"></p></form>'
)

MINE: Final = PASSWORD_FORM + MFA_FORMS + TOKEN_FORM + "<h3>Your sessions and tokens</h3>"
