"""The public site under a surge: requests per second of the embedded server on the citizen page
and on a CAP file, against nginx serving the very same files, both loaded by wrk in the same run.

The demo is set up in a temporary data folder (``beffroi demo --no-serve``: its published exercise
alert gives a real ``/public/`` page and CAP file), ``beffroi serve --embedded`` serves it as a
town would on one machine, and nginx (2 workers, sendfile, ETag) serves the same folder under the
same paths. wrk (C, event loop) is the load generator: never the bottleneck of either server.
``BENCH_PUBLIC_SECONDS`` (default 5) and ``BENCH_PUBLIC_CONNECTIONS`` (default 64) set the load.
When wrk or nginx is missing and cannot be installed with apt (``apt-get install wrk nginx-light``,
tried when run as root unless ``BENCH_PUBLIC_INSTALL=0``), the bench still runs and says which
baseline it used instead, in its output and in each JSON file (``load_generator``, ``baseline``,
``comparable``): without wrk the load comes from
Python asyncio clients (two processes: the client may be the bottleneck of both servers, ratios
read high); without nginx the baseline is granian's own static-file mount (Rust, no Python) on the
same files. Such ratios are not comparable with the nginx ones.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.common import free_port as _free_port
from bench.common import write_result

SECONDS = int(os.environ.get("BENCH_PUBLIC_SECONDS", "5"))
CONNECTIONS = int(os.environ.get("BENCH_PUBLIC_CONNECTIONS", "64"))
ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

# One nginx configuration, two sets of locations: the baseline (the same files, nothing else) and
# server mode (docs/deploy.md's own `location /public/` block, read from the document so the bench
# follows the published configuration, falling back to the embedded server for the rest).
NGINX_CONF = """
{user}
daemon off;
worker_processes 2;
pid {dir}/nginx-{name}.pid;
error_log {dir}/nginx-{name}-error.log;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  sendfile on;
  tcp_nopush on;
  include /etc/nginx/mime.types;
  types {{ application/cap+xml cap; }}
  server {{
    listen 127.0.0.1:{port};
    {locations}
  }}
}}
"""
BASELINE_LOCATIONS = """location /public/ {{
      alias {public}/;
      etag on;
      add_header Cache-Control "public, max-age=30, stale-while-revalidate=30";
      add_header X-Content-Type-Options nosniff;
    }}"""
SERVER_MODE_LOCATIONS = """{public_location}
    location @beffroi {{ proxy_pass http://127.0.0.1:{app_port}; }}"""


def deploy_public_location(public: Path) -> str:
    """docs/deploy.md's ``location /public/ { ... }`` block (nested blocks included), pointed at
    this run's data folder."""
    text = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    start = text.find("location /public/ {")
    if start < 0:
        raise RuntimeError("docs/deploy.md: no `location /public/ { ... }` block in its nginx section")
    depth, end = 0, start
    for end in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[end], 0)
        if depth == 0 and text[end] == "}":
            break
    block = text[start : end + 1]
    return block.replace("root /var/lib/beffroi;", f"root {public.parent};")


def _missing() -> list[str]:
    return [t for t in ("wrk", "nginx") if not (shutil.which(t) or Path(f"/usr/sbin/{t}").exists())]


def _tools() -> list[str]:
    """wrk and nginx, installed with apt when missing and possible; the names still missing."""
    missing = _missing()
    install = os.environ.get("BENCH_PUBLIC_INSTALL", "1") not in ("", "0")
    if missing and install and os.geteuid() == 0 and shutil.which("apt-get"):
        packages = ["wrk" if t == "wrk" else "nginx-light" for t in missing]
        subprocess.run(["apt-get", "install", "-y", "-qq", *packages], capture_output=True)
        missing = _missing()
    return missing


async def _py_load(port: int, path: str, seconds: float, connections: int) -> int:
    """Keep-alive GETs on ``connections`` sockets for ``seconds``: the fallback when wrk is missing."""
    import asyncio

    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
    stop = time.perf_counter() + seconds

    async def one() -> int:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        done = 0
        while time.perf_counter() < stop:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            if not head.startswith(b"HTTP/1.1 200"):
                raise RuntimeError(f"{path}: {head[:80]!r}")
            length, chunked = 0, False
            for line in head.split(b"\r\n"):
                lower = line.lower()
                if lower.startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
                elif lower.startswith(b"transfer-encoding:") and b"chunked" in lower:
                    chunked = True
            if chunked:
                while size := int((await reader.readuntil(b"\r\n")).strip(), 16):
                    await reader.readexactly(size + 2)
                await reader.readuntil(b"\r\n")  # the empty trailer
            else:
                await reader.readexactly(length)
            done += 1
        writer.close()
        return done

    return sum(await asyncio.gather(*[one() for _ in range(connections)]))


def _py_load_process(args) -> int:
    import asyncio

    return asyncio.run(_py_load(*args))


def _python_rps(url: str) -> float:
    import multiprocessing
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        start = time.perf_counter()
        counts = pool.map(_py_load_process, [(parts.port, parts.path, SECONDS, CONNECTIONS // 2)] * 2)
        return sum(counts) / (time.perf_counter() - start)


def _wrk(url: str) -> float:
    out = subprocess.run(
        ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if re.search(r"Non-2xx or 3xx responses", out):
        raise RuntimeError(f"{url}: errors under load\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def _wait(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer")


def _cap_path(public: Path) -> str | None:
    files = sorted(p for p in public.rglob("*.xml") if "cap" in p.as_posix())
    return "/public/" + files[0].relative_to(public).as_posix() if files else None


def _granian_static(public: Path, port: int) -> subprocess.Popen:
    """granian's Rust static-file mount on the public folder: the baseline when nginx is missing."""
    app = Path(public).parent / "bench_empty_app.py"
    app.write_text("async def app(scope, receive, send):\n    pass\n")
    cmd = [str(BIN / "granian"), "--interface", "asgi", "--host", "127.0.0.1", "--port", str(port)]
    cmd += ["--workers", "2", "--static-path-route", "/public", "--static-path-mount", str(public)]
    cmd += ["--log-level", "warning", "--working-dir", str(app.parent), "bench_empty_app:app"]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, process_group=0)


def main() -> None:
    missing = _tools()
    with_wrk, with_nginx = "wrk" not in missing, "nginx" not in missing
    load = _wrk if with_wrk else _python_rps
    generator = "wrk -t1" if with_wrk else "Python asyncio clients, 2 processes (wrk missing)"
    anchor_label = (
        "nginx on the same files" if with_nginx else "granian static mount on the same files (nginx missing)"
    )
    if missing:
        print(
            f"bench_public: {', '.join(missing)} missing (not installed here)"
            f" (apt-get install wrk nginx-light): load from {generator}, baseline {anchor_label};"
            " the ratios are not comparable with nginx + wrk",
            flush=True,
        )
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    with tempfile.TemporaryDirectory(prefix="bench-public-") as tmp:
        data = Path(tmp) / "data"
        env = {k: v for k, v in os.environ.items() if not k.startswith("BEFFROI_")}
        env.update(BEFFROI_DATA_DIR=str(data), BEFFROI_MAP_TILE_URL="off", PYTHONPATH=str(ROOT / "src"))
        subprocess.run([str(BIN / "beffroi"), "demo", "--no-serve"], env=env, check=True, capture_output=True)
        port, nginx_port = _free_port(), _free_port()
        # Both servers in wrk's session, each in a process group of its own (to stop it whole): with
        # the kernel's autogroup scheduling, a server in a session of its own (setsid, as nginx does
        # when it daemonises) shares the CPUs with wrk group against group, not thread against
        # thread, which halved the embedded server's rate on this 2-core machine and not nginx's.
        server = subprocess.Popen(
            [str(BIN / "beffroi"), "serve", "--embedded", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            process_group=0,
        )
        conf = Path(tmp) / "nginx.conf"
        public = data / "public"
        if with_nginx:
            # Started as root, nginx's workers would run as nobody, who cannot read the private data folder.
            user = "user root;" if os.geteuid() == 0 else ""
            locations = BASELINE_LOCATIONS.format(public=public)
            conf.write_text(
                NGINX_CONF.format(user=user, dir=tmp, name="baseline", port=nginx_port, locations=locations)
            )
            anchor_server = subprocess.Popen([nginx, "-c", str(conf)], process_group=0)
        else:
            anchor_server = _granian_static(public, nginx_port)
        server_mode = None
        if with_nginx:
            server_port = _free_port()
            server_conf = Path(tmp) / "nginx-server.conf"
            locations = SERVER_MODE_LOCATIONS.format(
                public_location=deploy_public_location(public), app_port=port
            )
            server_conf.write_text(
                NGINX_CONF.format(user=user, dir=tmp, name="server", port=server_port, locations=locations)
            )
            server_mode = subprocess.Popen([nginx, "-c", str(server_conf)], process_group=0)
        try:
            _wait(f"http://127.0.0.1:{port}/public/", server)
            pages = {"page": "/public/", "cap_feed": "/public/cap/index.atom"}
            if cap := _cap_path(public):
                pages["cap"] = cap
            else:
                print("bench_public: the demo published no CAP file; only the page is measured", flush=True)
            for label, path in pages.items():
                _wait(f"http://127.0.0.1:{nginx_port}{path}", anchor_server)
                ours = load(f"http://127.0.0.1:{port}{path}")
                anchor = load(f"http://127.0.0.1:{nginx_port}{path}")
                size = (public / (path.removeprefix("/public/") or "index.html")).stat().st_size
                write_result(
                    f"public_{label}_rps",
                    ours,
                    "req/s",
                    anchor_label,
                    anchor,
                    load_generator=generator,
                    comparable=with_wrk and with_nginx,
                    path=path,
                    bytes=size,
                    connections=CONNECTIONS,
                    seconds=SECONDS,
                )
                if server_mode is not None:
                    _wait(f"http://127.0.0.1:{server_port}{path}", server_mode)
                    served = httpx.get(f"http://127.0.0.1:{server_port}{path}")
                    if label == "cap" and not served.headers["content-type"].startswith(
                        "application/cap+xml"
                    ):
                        raise RuntimeError(
                            f"docs/deploy.md's nginx block serves {path} as {served.headers['content-type']}"
                        )
                    write_result(
                        f"public_{label}_rps_server_mode",
                        load(f"http://127.0.0.1:{server_port}{path}"),
                        "req/s",
                        "nginx on the same files",
                        anchor,
                        load_generator=generator,
                        comparable=with_wrk,
                        configuration="docs/deploy.md's location /public/ block",
                        path=path,
                        connections=CONNECTIONS,
                        seconds=SECONDS,
                    )
        finally:
            if server_mode is not None:
                os.killpg(server_mode.pid, signal.SIGTERM)
                server_mode.wait()
            os.killpg(anchor_server.pid, signal.SIGKILL if not with_nginx else signal.SIGTERM)
            anchor_server.wait()
            os.killpg(server.pid, signal.SIGINT)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)


if __name__ == "__main__":
    main()
