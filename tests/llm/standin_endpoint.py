"""A stand-in for a misbehaving OpenAI-compatible endpoint.

A real HTTP server on 127.0.0.1 (stdlib http.server in a thread) that speaks the
chat-completions wire format and answers whatever a test scripts: replies that break the
schema, cut-off JSON, wrong architecture tokens, HTTP 500, 429, a hang; with no script left,
an optional `responder` builds the answer from the request. The real model cannot be made
to misbehave on demand; this server can. It counts requests on the server side.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Scripted:
    """One scripted answer to a chat-completions request."""

    content: str | None = '{"status": "ok"}'
    status: int = 200
    delay_s: float = 0.0
    finish_reason: str = "stop"
    headers: dict[str, str] = field(default_factory=dict)
    error_message: str = "scripted failure"
    prompt_tokens: int = 17
    completion_tokens: int = 9


class MisbehavingEndpoint:
    """Stand-in endpoint. `accepts` lists the response_format types it honours; others get
    HTTP 500 with a validation message, as llama.cpp's server answers `json_schema`."""

    def __init__(
        self,
        api_key: str = "sk-standin-0123456789abcdef",
        model: str = "standin-model",
        accepts: tuple[str, ...] = ("json_schema", "json_object", "text"),
    ) -> None:
        self.api_key = api_key
        self.model = model
        self.accepts = accepts
        self.script: deque[Scripted] = deque()
        self.default = Scripted()
        # with no script left: an answer built from the request (e.g. from its schema)
        self.responder: Callable[[dict[str, Any]], Scripted] | None = None
        self.requests: list[dict[str, Any]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    @property
    def chat_requests(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["path"].endswith("/chat/completions")]

    def push(self, *answers: Scripted) -> None:
        self.script.extend(answers)

    def start(self) -> MisbehavingEndpoint:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _next(self, body: dict[str, Any]) -> Scripted:
        with self._lock:
            if self.script:
                return self.script.popleft()
        return self.responder(body) if self.responder is not None else self.default

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in (headers or {}).items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)

            def _authorised(self) -> bool:
                if self.headers.get("Authorization") == f"Bearer {endpoint.api_key}":
                    return True
                self._send(401, {"error": {"message": "Invalid API key", "type": "auth"}})
                return False

            def do_GET(self) -> None:
                endpoint.requests.append({"path": self.path, "body": None})
                if not self._authorised():
                    return
                if self.path.rstrip("/").endswith("/models"):
                    self._send(
                        200,
                        {
                            "object": "list",
                            "data": [
                                {"id": endpoint.model, "object": "model", "owned_by": "standin"}
                            ],
                        },
                    )
                else:
                    self._send(404, {"error": {"message": "not found"}})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                endpoint.requests.append({"path": self.path, "body": body})
                if not self._authorised():
                    return
                kind = (body.get("response_format") or {}).get("type", "text")
                if kind not in endpoint.accepts:
                    self._send(
                        500,
                        {
                            "error": {
                                "message": f"validation error: format {kind!r} not allowed",
                                "type": "internal_server_error",
                            }
                        },
                    )
                    return
                answer = endpoint._next(body)
                with endpoint._lock:
                    endpoint.in_flight += 1
                    endpoint.max_in_flight = max(endpoint.max_in_flight, endpoint.in_flight)
                try:
                    time.sleep(answer.delay_s)
                finally:
                    with endpoint._lock:
                        endpoint.in_flight -= 1
                if answer.status != 200:
                    self._send(
                        answer.status,
                        {"error": {"message": answer.error_message, "type": "scripted"}},
                        answer.headers,
                    )
                    return
                self._send(
                    200,
                    {
                        "id": "chatcmpl-standin",
                        "object": "chat.completion",
                        "created": 0,
                        "model": body.get("model", endpoint.model),
                        "choices": [
                            {
                                "index": 0,
                                "finish_reason": answer.finish_reason,
                                "message": {"role": "assistant", "content": answer.content},
                            }
                        ],
                        "usage": {
                            "prompt_tokens": answer.prompt_tokens,
                            "completion_tokens": answer.completion_tokens,
                            "total_tokens": answer.prompt_tokens + answer.completion_tokens,
                        },
                    },
                    answer.headers,
                )

        return Handler
