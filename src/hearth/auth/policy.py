"""Password policy after NIST SP 800-63B: length, no composition rules, no guessable passwords."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from hearth import const
from hearth.auth.passwords import normalize_password
from hearth.exceptions import BadRequest

# zxcvbn's cost grows quickly with length (and it refuses more than 72 characters); longer
# passwords are judged by their first and last 72 characters, which is enough to spot the weak
# ones, and are still checked in full for length and for the username.
ZXCVBN_MAX_INPUT: Final = 72
MIN_SCORE: Final = 3  # zxcvbn: 3 = "safely unguessable: moderate protection from offline attack"
MIN_CONTEXT_WORD: Final = 3  # shorter usernames / hub names would reject too much by accident

_HOW_TO_FIX: Final = (
    "Use a longer passphrase of several unrelated words, or let a password manager generate one."
)


class WeakPassword(BadRequest):
    """A password that breaks the policy; the message says why and how to fix it."""


@dataclass(frozen=True, slots=True)
class PasswordPolicy:
    """What a new password must satisfy; `hub_name` and each username are treated as guessable."""

    min_length: int = const.PASSWORD_MIN_LENGTH
    max_length: int = const.PASSWORD_MAX_LENGTH
    hub_name: str | None = None

    def stamp(self) -> tuple[int, int]:
        """(policy version, minimum length), stored with each password hash."""
        return (const.PASSWORD_POLICY_VERSION, self.min_length)

    def check(
        self, password: object, *, username: str | None = None, name: str | None = None
    ) -> None:
        """Raise WeakPassword when `password` may not be used by this user."""
        if not isinstance(password, str):
            raise WeakPassword("The password must be text.")
        normalized = normalize_password(password)
        length = len(normalized)
        if length < self.min_length:
            raise WeakPassword(
                f"The password is too short ({length} characters): use at least "
                f"{self.min_length}. {_HOW_TO_FIX}"
            )
        if length > self.max_length:
            # Rejected, never truncated: a truncated password would accept other passwords too.
            raise WeakPassword(
                f"The password is too long ({length} characters): at most {self.max_length} are "
                "allowed."
            )
        folded = normalized.casefold()
        for what, word in (
            ("username", username),
            ("display name", name),
            ("hub name", self.hub_name),
        ):
            if _contains(folded, word):
                raise WeakPassword(
                    f"The password contains the {what}, which is the first thing an attacker "
                    f"tries. {_HOW_TO_FIX}"
                )
        context = [word for word in (username, name, self.hub_name) if word]
        if _score(normalized, context) < MIN_SCORE:
            raise WeakPassword(
                "The password is too easy to guess: it is a common password, a keyboard pattern, "
                f"a repetition or close to one. {_HOW_TO_FIX}"
            )


def _contains(folded_password: str, word: str | None) -> bool:
    """Whether the password contains `word` (ignoring case, spaces and punctuation in it)."""
    if not word:
        return False
    folded = normalize_password(word).casefold()
    variants = {folded, "".join(ch for ch in folded if ch.isalnum())}
    return any(len(v) >= MIN_CONTEXT_WORD and v in folded_password for v in variants)


def _score(password: str, context: Iterable[str]) -> int:
    """The best zxcvbn score of the password's head and tail (each at most 72 characters)."""
    # Imported on first use: its dictionaries take ~12 MiB and ~30 ms, and only password
    # changes need them, never a running hub's logins or API requests.
    from zxcvbn import zxcvbn

    inputs = [word for word in context if len(word) <= ZXCVBN_MAX_INPUT]
    parts = [password[:ZXCVBN_MAX_INPUT]]
    if len(password) > ZXCVBN_MAX_INPUT:
        parts.append(password[-ZXCVBN_MAX_INPUT:])
    # A strong part makes the whole at least that strong: it is the guessing cost that counts.
    return max(int(zxcvbn(part, user_inputs=inputs)["score"]) for part in parts)
