"""The one exception the tool raises for problems a person can fix."""

from __future__ import annotations


class BuildError(Exception):
    """A failure with a plain explanation and, where there is one, what to do about it."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}\n  hint: {self.hint}"
        return self.message
