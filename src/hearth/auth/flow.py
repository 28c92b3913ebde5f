"""The login flow as data: flows in a bounded store, their steps, and the Home Assistant shapes.

No I/O here. `hearth.auth.login` checks passwords and codes and moves flows between steps; this
module only holds them and says what each step looks like on the wire. Whatever a client sends,
a flow either advances, answers with a form and errors, or ends; nothing else.
"""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from ipaddress import IPv4Address, IPv6Address
from itertools import chain
from typing import TYPE_CHECKING, Any, Final

from hearth.auth.flow_quota import CreationAllowance, Group, GroupCounts, flow_group
from hearth.exceptions import BadRequest, HearthError, NotFound

if TYPE_CHECKING:
    from hearth.auth.passkeys.manager import LoginChallenge

IPAddress = IPv4Address | IPv6Address

FLOW_LIFETIME: Final = 600.0  # seconds from the start of a flow to its last step
MAX_FLOWS: Final = 1000  # beyond this the oldest flow is dropped
MAX_FLOWS_PER_IP: Final = 20  # per address group (remote: /24 or /64), and its creation burst
MAX_FLOW_ID_LENGTH: Final = 64
MAX_STEP_FAILURES: Final = 5  # wrong codes in one flow before it is aborted (as Home Assistant)

PASSWORD_PROVIDER: Final = "homeassistant"  # noqa: S105 - a provider type
TRUSTED_PROVIDER: Final = "trusted_networks"
PROVIDER_NAMES: Final = {
    PASSWORD_PROVIDER: "Hearth Local",
    TRUSTED_PROVIDER: "Trusted Networks",
}
MFA_MODULE_NAME: Final = "Authenticator app"


class Step(StrEnum):
    """Where a flow is."""

    INIT = "init"  # username and password (or, trusted networks: which user)
    MFA = "mfa"  # a code from the authenticator app or a recovery code
    MFA_SETUP = "mfa_setup"  # MFA is required and missing: scan the QR code, enter a code
    RECOVERY_CODES = "recovery_codes"  # shown once after setup; submit to finish
    PASSKEY = "passkey"  # password-less: an assertion of a discoverable passkey


# Steps at which nobody has proven anything yet: such flows may be dropped to make room.
UNPROVEN: Final = frozenset({Step.INIT, Step.PASSKEY})


class FlowNotFound(NotFound):
    """No such flow (never started, finished, expired or dropped)."""

    def __init__(self) -> None:
        super().__init__("Invalid flow specified")


class FlowMismatch(BadRequest):
    """The flow exists but belongs to another client id or another address."""


@dataclass(slots=True)
class LoginFlow:
    """One login in progress, bound to the client id and address that began it."""

    flow_id: str
    provider: str
    client_id: str
    redirect_uri: str
    ip: IPAddress
    created_at: float
    group: Group  # the address group the flow counts against (hearth.auth.flow_quota)
    step: Step = Step.INIT
    user_id: str | None = None
    failures: int = 0
    setup_id: str | None = None
    # Shown once, at the RECOVERY_CODES step; dropped when the flow ends.
    recovery_codes: list[str] = field(default_factory=list, repr=False)
    # The passkey challenge this flow's current step offered; taken at its first use.
    passkey: LoginChallenge | None = field(default=None, repr=False)
    passkey_used: bool = False  # the login was completed with a passkey
    busy: bool = False  # a step is being checked: a second request for it must not race it
    over_quota: bool = False  # created beyond its group's allowance: to be counted as a failure

    @property
    def handler(self) -> list[str | None]:
        """Home Assistant's `[provider type, provider id]`."""
        return [self.provider, None]


class TooManyFlows(HearthError):
    """No room for a new flow: every flow of this address (or of the hub) is past its first
    step, i.e. someone is completing it."""

    status = 429
    code = "too_many_requests"


class LoginFlows:
    """Flows in progress, in memory: bounded in number, each expiring after ten minutes.

    Threat: a client churning flows must not push out the flow of someone logging in. Room is
    made from the address group holding the most flows (see hearth.auth.flow_quota); a flow
    that has passed its first step (a correct password) is never dropped to make room; and a
    group creating flows faster than its allowance gets its flows marked `over_quota`, for the
    caller to count toward the IP ban.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_flows: int = MAX_FLOWS,
        max_per_ip: int = MAX_FLOWS_PER_IP,
        lifetime: float = FLOW_LIFETIME,
    ) -> None:
        self._clock = clock
        self._max = max_flows
        self._max_per_ip = max_per_ip
        self._lifetime = lifetime
        self._flows: OrderedDict[str, LoginFlow] = OrderedDict()
        self._by_group: dict[Group, OrderedDict[str, None]] = {}  # per group, oldest first
        self._counts = GroupCounts()
        self._excessive: OrderedDict[Group, None] = OrderedDict()  # holding flows, over allowance
        # As many flows as one group may hold, then one more per share of a flow's lifetime.
        self._allowance = CreationAllowance(max_per_ip, lifetime / max_per_ip)

    def __len__(self) -> int:
        return len(self._flows)

    def begin(
        self,
        *,
        provider: str,
        client_id: str,
        redirect_uri: str,
        ip: IPAddress,
        remote: bool = False,
    ) -> LoginFlow:
        """Start a flow; room is made from the group's own flows, then the largest group's."""
        now = self._clock()
        self._expire(now)
        group = flow_group(ip, remote=remote)
        within = self._allowance.spend(group, now)
        if within:
            self._excessive.pop(group, None)
        else:
            self._excessive[group] = None
        if self._counts.count(group) >= self._max_per_ip:
            self._drop_one(self._by_group.get(group, {}), "from this address")
        while len(self._flows) >= self._max:
            self._drop_one(self._eviction_order(), "on this hub")
        flow = LoginFlow(
            flow_id=secrets.token_hex(16),
            provider=provider,
            client_id=client_id,
            redirect_uri=redirect_uri,
            ip=ip,
            created_at=now,
            group=group,
            over_quota=not within,
        )
        self._flows[flow.flow_id] = flow
        self._by_group.setdefault(group, OrderedDict())[flow.flow_id] = None
        self._counts.add(group)
        return flow

    def _eviction_order(self) -> Iterator[str]:
        """Flows of groups creating beyond their allowance first, then of the largest groups."""
        # Lazy: the caller stops at the first flow it drops, before anything changes.
        for group in chain(self._excessive, self._counts.largest_first()):
            yield from self._by_group.get(group, {})

    def _drop_one(self, flow_ids: Iterable[str], where: str) -> None:
        """Drop the first flow among `flow_ids` that nobody has got past its first step."""
        for flow_id in flow_ids:
            if self._flows[flow_id].step in UNPROVEN:
                self._drop(flow_id)
                return
        raise TooManyFlows(f"Too many logins are in progress {where}; try again in a few minutes.")

    def get(self, flow_id: object, *, client_id: object, ip: IPAddress) -> LoginFlow:
        """The flow, if it is alive and was begun by this client id from this address."""
        if not isinstance(flow_id, str) or len(flow_id) > MAX_FLOW_ID_LENGTH:
            raise FlowNotFound
        flow = self._flows.get(flow_id)
        if flow is None or self._clock() - flow.created_at >= self._lifetime:
            self._drop(flow_id)
            raise FlowNotFound
        if client_id != flow.client_id:
            raise FlowMismatch("Invalid client id")
        # Threat: a flow id seen by someone else (a shared screen, a proxy log) must not let
        # them finish a login that someone else's password started.
        if ip != flow.ip:
            raise FlowMismatch("IP address changed")
        return flow

    def peek(self, flow_id: object) -> LoginFlow | None:
        """The flow with this id, if any (no checks: only to cancel it)."""
        if not isinstance(flow_id, str) or len(flow_id) > MAX_FLOW_ID_LENGTH:
            return None
        return self._flows.get(flow_id)

    def finish(self, flow: LoginFlow) -> None:
        """End a flow (done or aborted); its id is no longer valid."""
        flow.recovery_codes.clear()
        flow.passkey = None
        self._drop(flow.flow_id)

    def _drop(self, flow_id: str) -> None:
        flow = self._flows.pop(flow_id, None)
        if flow is None:
            return
        mine = self._by_group.get(flow.group)
        if mine is not None:
            mine.pop(flow_id, None)
            if not mine:
                del self._by_group[flow.group]
                self._excessive.pop(flow.group, None)
        self._counts.remove(flow.group)

    def _expire(self, now: float) -> None:
        while self._flows:
            oldest = next(iter(self._flows.values()))
            if now - oldest.created_at < self._lifetime:
                return
            self._drop(oldest.flow_id)


# What each step looks like on the wire (Home Assistant's data-entry-flow results).

_STRING: Final = "string"
PASSWORD_SCHEMA: Final[list[dict[str, Any]]] = [
    {"type": _STRING, "name": "username", "required": True},
    {"type": _STRING, "name": "password", "required": True},
]
CODE_SCHEMA: Final[list[dict[str, Any]]] = [{"type": _STRING, "name": "code", "required": True}]
# The JSON of `navigator.credentials.get()` (PublicKeyCredential.toJSON()).
PASSKEY_SCHEMA: Final[list[dict[str, Any]]] = [
    {"type": _STRING, "name": "passkey", "required": True}
]


def user_schema(choices: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """The trusted-networks step: pick one of the users allowed from this address."""
    return [
        {
            "type": "select",
            "name": "user",
            "required": True,
            "options": [[user_id, name] for user_id, name in choices],
        }
    ]


def form(
    flow: LoginFlow,
    data_schema: list[dict[str, Any]],
    *,
    errors: dict[str, str] | None = None,
    placeholders: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A step for the client to fill in."""
    return {
        "type": "form",
        "flow_id": flow.flow_id,
        "handler": flow.handler,
        "step_id": str(flow.step),
        "data_schema": data_schema,
        "errors": errors or {},
        "description_placeholders": placeholders,
        "last_step": None,
        "preview": None,
    }


def abort(flow: LoginFlow, reason: str) -> dict[str, Any]:
    """The flow ended without a login."""
    return {
        "type": "abort",
        "flow_id": flow.flow_id,
        "handler": flow.handler,
        "reason": reason,
        "description_placeholders": None,
    }


def create_entry(flow: LoginFlow, code: str) -> dict[str, Any]:
    """The login succeeded: `result` is the single-use authorization code."""
    return {
        "version": 1,
        "minor_version": 1,
        "type": "create_entry",
        "flow_id": flow.flow_id,
        "handler": flow.handler,
        "title": PROVIDER_NAMES.get(flow.provider, flow.provider),
        "description": None,
        "description_placeholders": None,
        "result": code,
    }
