"""What the server benchmarks share: serving the app with `medcredit serve --workers N` and a
minimal keep-alive HTTP/1.1 client (it costs the shared CPU little next to the server)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path


class Connection:
    """A keep-alive HTTP/1.1 connection: send a request, read the status and the body."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.requests = 0

    @classmethod
    async def open(cls, port: int) -> Connection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer)

    async def exchange(self, request: bytes) -> tuple[int, bytes]:
        """The status and the body (Content-Length or chunked) of one request's answer."""
        self.requests += 1
        self.writer.write(request)
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("the server closed the connection")
        length, chunked = 0, False
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value.strip())
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
        if not chunked:
            return int(status_line.split()[1]), await self.reader.readexactly(length)
        parts = []
        while True:
            size = int((await self.reader.readline()).split(b";")[0].strip(), 16)
            if size == 0:
                await self.reader.readline()
                break
            parts.append(await self.reader.readexactly(size))
            await self.reader.readline()
        return int(status_line.split()[1]), b"".join(parts)

    async def call(self, request: bytes) -> int:
        status, _ = await self.exchange(request)
        return status

    def close(self) -> None:
        self.writer.close()


def http_request(
    method: str,
    path: str,
    token: str | None,
    body: bytes = b"",
    content_type: str = "application/json",
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    if token:
        lines.append(f"Authorization: Bearer {token}")
    if body or method == "POST":
        lines += [f"Content-Type: {content_type}", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def serve(
    env: dict[str, str], port: int, workers: int = 2, log: Path | None = None
) -> subprocess.Popen[bytes]:
    """`medcredit serve --workers N` in a session of its own, once it answers /health."""
    command = [str(Path(sys.executable).parent / "medcredit"), "serve", "--workers", str(workers),
               "--host", "127.0.0.1", "--port", str(port)]  # fmt: skip
    output = log.open("wb") if log else subprocess.DEVNULL
    server = subprocess.Popen(
        command, env={**os.environ, **env}, stdout=output, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            asyncio.run(_probe(port))
            return server
        except OSError:
            time.sleep(0.5)
    stop(server)
    raise SystemExit("the server did not start within 60 s")


async def _probe(port: int) -> None:
    connection = await Connection.open(port)
    await connection.call(http_request("GET", "/health", None))
    connection.close()


def stop(server: subprocess.Popen[bytes]) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)


def worker_pids(server: subprocess.Popen[bytes]) -> list[int]:
    """The web worker processes uvicorn started under `server` (not its resource tracker)."""
    found = []
    for pid in _children(server.pid):
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
        if b"resource_tracker" not in cmdline:
            found.append(pid)
    return sorted(found)


def _children(pid: int) -> list[int]:
    children = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        children.extend(int(child) for child in text)
    return children


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def percentile(sorted_values: Sequence[float], share: float) -> float:
    """The value at `share` of an ascending list, in milliseconds (from seconds)."""
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, int(share * len(sorted_values)))
    return round(sorted_values[index] * 1000, 2)
