"""Hypothesis profiles of the fault suite, chosen by HEARTH_FUZZ_PROFILE (`ci` by default).

`ci` (what `make test` runs): a fixed seed (derandomize), no example database, a small example
count per test, so that every run tries the same inputs and the group stays near a minute.
`long` (what `make fuzz` runs): fresh random inputs each run and 40 times the examples.
"""

from __future__ import annotations

import os
from typing import Final

from hypothesis import HealthCheck, settings

PROFILE_VARIABLE: Final = "HEARTH_FUZZ_PROFILE"

# Each fuzz test keeps one real hub for all its examples (that is the point: state carries over
# between inputs), so function-scoped fixtures are intended; examples talk to a server, so they
# are slow by Hypothesis' standards and have no deadline.
_COMMON: Final = {
    "database": None,
    "deadline": None,
    "print_blob": True,
    "suppress_health_check": [
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
}

settings.register_profile("hearth-ci", derandomize=True, max_examples=50, **_COMMON)  # type: ignore[arg-type]
settings.register_profile("hearth-long", derandomize=False, max_examples=2000, **_COMMON)  # type: ignore[arg-type]

# How many times the `ci` example count each profile runs.
_SCALE: Final = {"ci": 1, "long": 40}


def profile_name() -> str:
    """The profile asked for in the environment; an unknown name is a usage error."""
    name = os.environ.get(PROFILE_VARIABLE, "ci")
    if name not in _SCALE:
        raise ValueError(f"{PROFILE_VARIABLE}={name!r}: expected one of {sorted(_SCALE)}")
    return name


def time_limit(ci_seconds: float = 180) -> float:
    """pytest-timeout seconds for a fuzz test: room for a busy machine under `ci`, none under
    `long` (a timeout mark overrides pytest's --timeout option, so `make fuzz` needs this)."""
    return ci_seconds if profile_name() == "ci" else 0


def fuzz_settings(ci_examples: int) -> settings:
    """Settings for one fuzz test: `ci_examples` under `ci`, scaled up under `long`."""
    name = profile_name()
    return settings(settings.get_profile(f"hearth-{name}"), max_examples=ci_examples * _SCALE[name])
