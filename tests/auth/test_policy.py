"""The password policy as a table: each password with the verdict and the reason expected."""

from __future__ import annotations

import time

import pytest

from hearth import const
from hearth.auth.policy import PasswordPolicy, WeakPassword

POLICY = PasswordPolicy(hub_name="Maple Cottage")
USERNAME = "alice"

# (password, None if accepted else a word the error must contain)
TABLE: list[tuple[str, str | None]] = [
    # Too short, whatever the characters.
    ("Zq9#kX", "too short"),
    ("x7$Lm2!pQ9a", "too short"),  # 11
    ("ab" * 5 + "€", "too short"),
    # Common, breached-style or patterned passwords of acceptable length.
    ("password1234", "too easy"),
    ("Password123!", "too easy"),
    ("qwertyuiopasdf", "too easy"),
    ("1q2w3e4r5t6y", "too easy"),
    ("letmein12345", "too easy"),
    ("iloveyou2024!", "too easy"),
    ("aaaaaaaaaaaaaaaa", "too easy"),
    ("abcdefghijklmn", "too easy"),
    # The username, the display name or the hub name, in any case or spacing.
    ("alice-correct-horse-battery", "username"),
    ("Correct-ALICE-horse-battery", "username"),
    ("maplecottage-likes-rain-42", "hub name"),
    ("Maple Cottage forever and ever", "hub name"),
    # Accepted: long and unguessable, any characters, no composition rules.
    ("correct horse battery staple", None),
    ("correct-horse-battery-staple-42", None),
    ("vermilion otter juggles quietly", None),
    ("lowercaseonlybutlongandrandomish", None),
    ("ℌ𝔢𝔩𝔩𝔬 wörld ✓ über Kaffee", None),  # unicode, NFKC-normalised
    ("пароль-который-трудно-угадать", None),
    ("猫が窓の外を静かに見ている夕方", None),
    # 300 characters: allowed (at least 256 are), checked in full, never truncated.
    ("purple-otter-" + "x9K!m" * 57 + "-tundra", None),
    ("a" * 300, "too easy"),
    ("password" * 10 + "vermilion otter juggles quietly" * 7, None),
    # Longer than the maximum: refused, not truncated.
    ("vermilion otter " * 70, "too long"),
]


@pytest.mark.parametrize(("password", "problem"), TABLE)
def test_password_table(password: str, problem: str | None) -> None:
    if problem is None:
        POLICY.check(password, username=USERNAME, name="Alice")
        return
    with pytest.raises(WeakPassword, match=problem) as info:
        POLICY.check(password, username=USERNAME, name="Alice")
    message = info.value.message
    assert password not in message
    # Every refusal says how to do better (except too long, which says the limit).
    assert "password manager" in message or "at most" in message
    assert info.value.status == 400


def test_lengths_at_the_bounds() -> None:
    assert len("x7$Lm2!pQ9a") == const.PASSWORD_MIN_LENGTH - 1
    POLICY.check("x7$Lm2!pQ9aZ")  # exactly 12
    at_least_256 = "tundra-" + "q8Vz#" * 50  # 257
    POLICY.check(at_least_256)
    assert const.PASSWORD_MAX_LENGTH >= 256


def test_minimum_is_configurable_upwards() -> None:
    strict = PasswordPolicy(min_length=20)
    with pytest.raises(WeakPassword, match="at least 20"):
        strict.check("vermilion otter jug")  # 19
    strict.check("vermilion otter jugs")


def test_short_context_words_are_not_held_against_passwords() -> None:
    PasswordPolicy(hub_name="Al").check("vermilion alpaca juggles quietly", username="al")


def test_non_text_is_refused() -> None:
    with pytest.raises(WeakPassword, match="text"):
        POLICY.check(123456789012345)  # type: ignore[arg-type]


def test_long_passwords_are_judged_quickly() -> None:
    start = time.perf_counter()
    for _ in range(5):
        POLICY.check("vermilion otter " * 60)
    assert time.perf_counter() - start < 2.0


def test_the_running_hub_does_not_load_zxcvbn() -> None:
    """zxcvbn costs ~12 MiB of RSS; only password changes need it, so it loads on first use."""
    import subprocess
    import sys

    probe = "import sys, hearth.bootstrap; print('zxcvbn' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "False"
