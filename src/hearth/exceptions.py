"""The one exception tree. Each error knows the HTTP status and WebSocket code it maps to."""

from typing import ClassVar


class HearthError(Exception):
    """Base of every error Hearth raises on purpose; the message is safe to show to clients."""

    status: ClassVar[int] = 500
    code: ClassVar[str] = "unknown_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigError(HearthError):
    """The configuration is invalid; the message names file, line and key."""

    code = "invalid_config"

    def __init__(
        self,
        problem: str,
        *,
        file: str | None = None,
        line: int | None = None,
        key: str | None = None,
    ) -> None:
        self.file = file
        self.line = line
        self.key = key
        self.problem = problem
        where = file or "configuration"
        if line is not None:
            where = f"{where}, line {line}"
        text = f"{where}: {key}: {problem}" if key else f"{where}: {problem}"
        super().__init__(text)


class PrivilegeError(HearthError):
    """`hearth run` will not run as root, or could not give root up; the message says how to
    start it instead (hearth.privileges)."""

    code = "privileges"


class BadRequest(HearthError):
    """The request is malformed or fails validation."""

    status = 400
    code = "invalid_format"


class UnsupportedMediaType(BadRequest):
    """The body is not of the content type the endpoint reads (415)."""

    status = 415


class InvalidEntityId(BadRequest):
    """An entity id is not `domain.object_id` in lower-case letters, digits and underscores."""


class InvalidPayload(BadRequest):
    """State attributes, event data or service data nested too deep, too large or not JSON."""


class ServiceValidationError(BadRequest):
    """Service call data does not match the service's schema."""


class InvalidStartTime(BadRequest):
    """A history or logbook start time that is not an ISO 8601 time (or lies ahead)."""

    code = "invalid_start_time"


class InvalidEndTime(BadRequest):
    """A history or logbook end time that is not an ISO 8601 time (or precedes the start)."""

    code = "invalid_end_time"


class InvalidCode(BadRequest):
    """An MFA code that is wrong, already used or malformed, given while setting up or removing
    MFA by an already authenticated user (at login a bad code is an `invalid_auth` step)."""

    code = "invalid_code"


class InvalidCurrentPassword(BadRequest):
    """A signed-in user confirming a change gave a wrong password (counts as a failed login)."""

    code = "invalid_current_password"


class InvalidAuth(HearthError):
    """Credentials are missing, wrong or expired. Counts as a failed login attempt."""

    status = 401
    code = "invalid_auth"


class PermissionDenied(HearthError):
    """The user is authenticated but not allowed to do this. Never counts as a failed login."""

    status = 403
    code = "unauthorized"


class NotFound(HearthError):
    """The thing asked for does not exist."""

    status = 404
    code = "not_found"


class EntityNotFound(NotFound):
    """No entity with this id."""

    def __init__(self, message: str = "Entity not found.") -> None:
        super().__init__(message)


class ServiceNotFound(NotFound):
    """No service with this domain and name."""

    def __init__(self, domain: str, service: str) -> None:
        super().__init__(f"Service {domain}.{service} not found.")
        self.domain = domain
        self.service = service


class Conflict(HearthError):
    """The request conflicts with existing state (a user that already exists, say)."""

    status = 409
    code = "conflict"


class Unavailable(HearthError):
    """The hub is too busy or not ready; try again later."""

    status = 503
    code = "unavailable"


class RateLimited(HearthError):
    """The same thing was asked for too often in a short time; try again later."""

    status = 429
    code = "rate_limited"


class StorageError(Unavailable):
    """The database could not store a change. Reads keep working; the hub recovers by itself.

    The message is safe to show: it says what happened, never a path or an SQL detail.
    """

    code = "storage_error"

    def __init__(self, message: str = "storage error: the change was not saved.") -> None:
        super().__init__(message)


class StorageFull(StorageError):
    """The disk holding the database is full (or the file may not grow)."""

    code = "storage_full"

    def __init__(self, message: str = "storage full: the change was not saved.") -> None:
        super().__init__(message)


class StorageBusy(StorageError):
    """Another process holds the database's write lock for too long."""

    code = "storage_busy"

    def __init__(
        self, message: str = "storage busy: the change was not saved; try again shortly."
    ) -> None:
        super().__init__(message)
