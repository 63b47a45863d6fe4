"""A local Lambda Runtime API (version 2018-06-01) on 127.0.0.1, to drive the real runtime
interface client (``awslambdaric``) without Docker.

Endpoints, as AWS documents them for custom runtimes:

- ``GET  /2018-06-01/runtime/invocation/next``: the next event, with the headers
  ``Lambda-Runtime-Aws-Request-Id``, ``Lambda-Runtime-Deadline-Ms`` (Unix ms),
  ``Lambda-Runtime-Invoked-Function-Arn`` and ``Lambda-Runtime-Trace-Id``. While no event is
  queued the request simply waits (as in Lambda, where a frozen environment never gets an
  answer): awslambdaric's C client crashes on an error answer without invocation headers, so
  the way to end a runtime is to stop its process.
- ``POST /2018-06-01/runtime/invocation/{id}/response`` and ``.../{id}/error``: the result
  (202 Accepted); an error carries ``Lambda-Runtime-Function-Error-Type`` and a JSON body.
- ``POST /2018-06-01/runtime/init/error``: the handler could not be loaded (202).

The test side queues events with `RuntimeApi.submit` and waits on the returned `Invocation`.
"""

from __future__ import annotations

import json
import queue
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

API_VERSION = "2018-06-01"
PREFIX = f"/{API_VERSION}/runtime"
DEFAULT_ARN = "arn:aws:lambda:us-east-1:123456789012:function:pgfacade-e2e"
_POLL_SECONDS = 0.1


@dataclass
class Invocation:
    """One event and what became of it."""

    event: Any
    timeout_ms: int
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    deadline_ms: int = 0
    handed_out_at: float | None = None
    finished_at: float | None = None
    finished_epoch_ms: int | None = None
    outcome: str | None = None  # "response" or "error"
    body: Any = None
    error_type: str | None = None
    done: threading.Event = field(default_factory=threading.Event)

    @property
    def succeeded(self) -> bool:
        """The handler returned (``/response``)."""
        return self.outcome == "response"

    @property
    def duration_ms(self) -> float | None:
        """From handing the event out to receiving the result."""
        if self.handed_out_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.handed_out_at) * 1000.0

    @property
    def finished_before_deadline(self) -> bool:
        """The result arrived no later than the deadline sent with the event."""
        return self.finished_epoch_ms is not None and self.finished_epoch_ms <= self.deadline_ms


class RuntimeApi:
    """The HTTP server of one execution environment (one runtime process at a time)."""

    def __init__(self, function_arn: str = DEFAULT_ARN) -> None:
        self.function_arn = function_arn
        self.first_next_at: float | None = None
        self.init_error: Any = None
        self.init_error_event = threading.Event()
        self._queue: queue.Queue[Invocation] = queue.Queue()
        self._invocations: dict[str, Invocation] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = _Server(("127.0.0.1", 0), _Handler, self)
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> str:
        """``host:port``, the value of ``AWS_LAMBDA_RUNTIME_API``."""
        host, port = self._server.server_address[:2]
        return f"{host!s}:{port}"

    def start(self) -> None:
        """Serve on a background thread."""
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="lambda-runtime-api", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving; requests still waiting for an event are abandoned."""
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()

    def __enter__(self) -> RuntimeApi:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def submit(self, event: Any, timeout_ms: int = 3000) -> Invocation:
        """Queue an event; the runtime gets it on its next ``/next``."""
        invocation = Invocation(event=event, timeout_ms=timeout_ms)
        with self._lock:
            self._invocations[invocation.request_id] = invocation
        self._queue.put(invocation)
        return invocation

    # ------------------------------------------------------------- request handling

    def next_invocation(self) -> Invocation | None:
        """Block until an event is queued (None when the server stops)."""
        with self._lock:
            if self.first_next_at is None:
                self.first_next_at = time.monotonic()
        while not self._stopping.is_set():
            try:
                invocation = self._queue.get(timeout=_POLL_SECONDS)
            except queue.Empty:
                continue
            invocation.handed_out_at = time.monotonic()
            invocation.deadline_ms = int(time.time() * 1000) + invocation.timeout_ms
            return invocation
        return None

    def finish(self, request_id: str, outcome: str, body: Any, error_type: str | None) -> bool:
        """Record a result; False for an unknown or already finished request id."""
        with self._lock:
            invocation = self._invocations.get(request_id)
            if invocation is None or invocation.outcome is not None:
                return False
            invocation.finished_at = time.monotonic()
            invocation.finished_epoch_ms = int(time.time() * 1000)
            invocation.outcome = outcome
            invocation.body = body
            invocation.error_type = error_type
        invocation.done.set()
        return True

    def record_init_error(self, body: Any) -> None:
        """The runtime reported that initialisation failed."""
        self.init_error = body
        self.init_error_event.set()


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type, api: RuntimeApi) -> None:
        super().__init__(address, handler)
        self.api = api

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A runtime process stopped mid-request is expected; anything else is reported."""
        error = sys.exc_info()[1]
        if not isinstance(error, (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes: without TCP_NODELAY, Nagle's algorithm and
    # the client's delayed ACK add ~40 ms to every invocation.
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests report what matters."""

    def do_GET(self) -> None:
        if self.path != f"{PREFIX}/invocation/next":
            self._reply(404, {"errorMessage": f"unknown path {self.path}"})
            return
        invocation = self.server.api.next_invocation()
        if invocation is None:
            self.close_connection = True
            return
        body = json.dumps(invocation.event).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Lambda-Runtime-Aws-Request-Id", invocation.request_id)
        self.send_header("Lambda-Runtime-Deadline-Ms", str(invocation.deadline_ms))
        self.send_header("Lambda-Runtime-Invoked-Function-Arn", self.server.api.function_arn)
        trace = f"Root=1-{int(time.time()):08x}-{invocation.request_id.replace('-', '')[:24]}"
        self.send_header("Lambda-Runtime-Trace-Id", f"{trace};Sampled=0")
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        payload = self._read_body()
        parts = (
            self.path[len(PREFIX) :].strip("/").split("/") if self.path.startswith(PREFIX) else []
        )
        if parts == ["init", "error"]:
            self.server.api.record_init_error(_parse(payload))
            self._reply(202, {"status": "OK"})
            return
        if len(parts) == 3 and parts[0] == "invocation" and parts[2] in ("response", "error"):
            error_type = self.headers.get("Lambda-Runtime-Function-Error-Type")
            if self.server.api.finish(parts[1], parts[2], _parse(payload), error_type):
                self._reply(202, {"status": "OK"})
            else:
                message = f"unknown or already answered request id {parts[1]}"
                self._reply(400, {"errorMessage": message, "errorType": "InvalidRequestID"})
            return
        self._reply(404, {"errorMessage": f"unknown path {self.path}"})

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _reply(self, status: int, document: Any) -> None:
        body = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _parse(payload: bytes) -> Any:
    """The JSON a runtime posted (raw text if it is not JSON)."""
    try:
        return json.loads(payload) if payload else None
    except ValueError:
        return payload.decode(errors="replace")
