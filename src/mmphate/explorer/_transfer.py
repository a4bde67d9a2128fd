"""Large payloads cross in chunks.

Notebook servers, VS Code and Colab cap the size of one message (Jupyter's websocket at 10 MiB
by default), so a binary payload larger than ``threshold`` bytes does not travel in the widget's
traits. Its per-node arrays stay in Python; the trait ``_chunked`` tells the front end their
sizes, the front end asks for them (``{"type": "mmphate:request"}``) once it is displayed, and the
kernel answers with one message per chunk of at most ``chunk_bytes`` bytes (one binary buffer
each), which the front end reassembles while it shows a progress bar.
"""

from __future__ import annotations

import uuid
from typing import Any

__all__ = ["CHUNK_THRESHOLD", "CHUNK_BYTES", "CHUNKED_ARRAYS", "plan", "send_chunks"]

#: Binary payloads above this many bytes are streamed in chunks.
CHUNK_THRESHOLD = 10_000_000
#: Size of one chunk message (bytes).
CHUNK_BYTES = 4 * 2**20
#: The per-node arrays that may be streamed (per-unit / per-slice arrays are small).
CHUNKED_ARRAYS = ("_positions", "_node_class")
REQUEST = "mmphate:request"
CHUNK = "mmphate:chunk"


def plan(
    payload: dict[str, Any], chunk_bytes: int | None = None
) -> tuple[dict[str, Any], dict[str, Any], dict[str, bytes]]:
    """Split a payload into (traits, manifest, streamed arrays).

    With ``chunk_bytes`` given, payloads above ``chunk_bytes`` are streamed in chunks of that
    size; otherwise above :data:`CHUNK_THRESHOLD` in chunks of :data:`CHUNK_BYTES`.
    """
    if chunk_bytes is not None and int(chunk_bytes) < 1024:
        raise ValueError(f"chunk_bytes must be at least 1024; got {chunk_bytes}.")
    threshold = CHUNK_THRESHOLD if chunk_bytes is None else int(chunk_bytes)
    size = CHUNK_BYTES if chunk_bytes is None else int(chunk_bytes)
    binary = {k: v for k, v in payload.items() if isinstance(v, bytes | bytearray | memoryview)}
    total = sum(len(v) for v in binary.values())
    traits = dict(payload)
    streamed: dict[str, bytes] = {}
    if total > threshold:
        for name in CHUNKED_ARRAYS:
            data = payload.get(name, b"")
            if len(data):
                streamed[name] = bytes(data)
                traits[name] = b""
    manifest: dict[str, Any] = {}
    if streamed:
        manifest = {
            "id": uuid.uuid4().hex,
            "arrays": {k: len(v) for k, v in streamed.items()},
            "chunk_bytes": size,
        }
    return traits, manifest, streamed


def chunk_messages(manifest: dict[str, Any], streamed: dict[str, bytes]):
    """(content, buffer) of every chunk message of a transfer, in order."""
    size = int(manifest["chunk_bytes"])
    for name, data in streamed.items():
        view = memoryview(data)
        for offset in range(0, len(data), size):
            content = {"type": CHUNK, "id": manifest["id"], "name": name, "offset": offset}
            yield content, view[offset : offset + size]


def send_chunks(widget: Any, content: dict[str, Any], buffers: Any) -> int:
    """Answer a front end's request for the streamed arrays; returns the messages sent."""
    manifest = widget._chunked
    if not isinstance(content, dict) or content.get("type") != REQUEST or not manifest:
        return 0
    if content.get("id") not in (None, manifest["id"]):
        return 0
    sent = 0
    for msg, buf in chunk_messages(manifest, widget._streamed):
        widget.send(msg, buffers=[buf])
        sent += 1
    return sent
