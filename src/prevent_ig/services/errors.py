"""Errors a use case reports to its caller (CLI exit 2, API 4xx), never a traceback."""


class ServiceError(Exception):
    """Base class: the message is safe to show to the user (ids only, no personal data)."""


class NotFoundError(ServiceError):
    pass


class RefusedError(ServiceError):
    """The request is well-formed but the rules do not allow it now."""


class InvalidFieldError(ServiceError):
    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


class StaleVersionError(RefusedError):
    """The record changed since the caller read it (optimistic concurrency): reload and retry."""
