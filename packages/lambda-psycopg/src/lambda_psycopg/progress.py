"""Progress display: one line per step with its duration (rich on a terminal, plain otherwise)."""

from __future__ import annotations

import sys
import time
from typing import Any, Protocol, TextIO


class Reporter(Protocol):
    """What the pipeline tells the person watching."""

    def started(self, step: str, label: str) -> None:
        """A step begins."""

    def finished(self, step: str, label: str, cached: bool, seconds: float) -> None:
        """A step is done (or was found in the cache)."""

    def failed(self, step: str, label: str, error: BaseException) -> None:
        """A step raised."""

    def note(self, message: str) -> None:
        """A free-form line."""


class SilentReporter:
    """Reports nothing (library use and tests)."""

    def started(self, step: str, label: str) -> None:
        """Nothing."""

    def finished(self, step: str, label: str, cached: bool, seconds: float) -> None:
        """Nothing."""

    def failed(self, step: str, label: str, error: BaseException) -> None:
        """Nothing."""

    def note(self, message: str) -> None:
        """Nothing."""


class PlainReporter:
    """Plain lines, for logs and CI."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout
        self._started: dict[tuple[str, str], float] = {}

    def _line(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()

    def started(self, step: str, label: str) -> None:
        """Remember the start time; say nothing yet if it turns out cached."""
        self._started[(step, label)] = time.monotonic()
        self._line(f"[{step:>8}] {label} ...")

    def finished(self, step: str, label: str, cached: bool, seconds: float) -> None:
        """One line with the duration or 'cached'."""
        how = "cached" if cached else f"done in {format_seconds(seconds)}"
        self._line(f"[{step:>8}] {label}: {how}")

    def failed(self, step: str, label: str, error: BaseException) -> None:
        """One line saying which step failed."""
        elapsed = time.monotonic() - self._started.get((step, label), time.monotonic())
        self._line(f"[{step:>8}] {label}: FAILED after {format_seconds(elapsed)}")

    def note(self, message: str) -> None:
        """A free-form line."""
        self._line(message)


class RichReporter:
    """A spinner while a step runs, a check mark and its duration when it ends."""

    def __init__(self) -> None:
        from rich.console import Console

        self.console = Console(highlight=False)
        self._status: Any = None

    def started(self, step: str, label: str) -> None:
        """Show a spinner."""
        self._stop()
        self._status = self.console.status(f"[bold]{step}[/] {label}")
        self._status.start()

    def _stop(self) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None

    def finished(self, step: str, label: str, cached: bool, seconds: float) -> None:
        """Replace the spinner by a line."""
        self._stop()
        how = "[dim]cached[/]" if cached else f"[green]{format_seconds(seconds)}[/]"
        self.console.print(f"[green]✓[/] [bold]{step:<8}[/] {label}  {how}")

    def failed(self, step: str, label: str, error: BaseException) -> None:
        """Replace the spinner by a red line."""
        self._stop()
        self.console.print(f"[red]✗[/] [bold]{step:<8}[/] {label}  [red]failed[/]")

    def note(self, message: str) -> None:
        """A free-form line."""
        self.console.print(message, markup=False, highlight=False)


def format_seconds(seconds: float) -> str:
    """``4.2s`` or ``3m05s``."""
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}m{rest:02d}s"


def make_reporter(stream: TextIO | None = None, plain: bool = False) -> Reporter:
    """Rich on a terminal when rich is installed, plain lines otherwise."""
    out = stream or sys.stdout
    if not plain and out.isatty():
        try:
            return RichReporter()
        except ImportError:
            pass
    return PlainReporter(out)
