"""The public site under a surge: requests per second of the embedded server on the citizen page
and on a CAP file, against nginx serving the very same files, both loaded by wrk in the same run.

The demo is set up in a temporary data folder (``beffroi demo --no-serve``: its published exercise
alert gives a real ``/public/`` page and CAP file), ``beffroi serve --embedded`` serves it as a
town would on one machine, and nginx (2 workers, sendfile, ETag) serves the same folder under the
same paths. wrk (C, event loop) is the load generator: never the bottleneck of either server.
``BENCH_PUBLIC_SECONDS`` (default 5) and ``BENCH_PUBLIC_CONNECTIONS`` (default 64) set the load.
When wrk or nginx is missing and cannot be installed with apt, the bench says so and reports nothing.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
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

NGINX_CONF = """
{user}
worker_processes 2;
pid {dir}/nginx.pid;
error_log {dir}/nginx-error.log;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  sendfile on;
  tcp_nopush on;
  include /etc/nginx/mime.types;
  types {{ application/cap+xml cap; }}
  server {{
    listen 127.0.0.1:{port};
    location /public/ {{
      alias {public}/;
      etag on;
      add_header Cache-Control "public, max-age=30, stale-while-revalidate=30";
      add_header X-Content-Type-Options nosniff;
    }}
  }}
}}
"""



def _tools() -> str | None:
    """wrk and nginx, installed with apt when missing and possible; the reason when not."""
    missing = [t for t in ("wrk", "nginx") if not (shutil.which(t) or Path(f"/usr/sbin/{t}").exists())]
    if not missing:
        return None
    if os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk", "nginx-light"], capture_output=True)
        missing = [t for t in ("wrk", "nginx") if not (shutil.which(t) or Path(f"/usr/sbin/{t}").exists())]
    return f"missing {', '.join(missing)} (apt-get install wrk nginx-light)" if missing else None


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


def main() -> None:
    reason = _tools()
    if reason:
        print(f"bench_public: skipped: {reason}", flush=True)
        return
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    with tempfile.TemporaryDirectory(prefix="bench-public-") as tmp:
        data = Path(tmp) / "data"
        env = {k: v for k, v in os.environ.items() if not k.startswith("BEFFROI_")}
        env.update(BEFFROI_DATA_DIR=str(data), BEFFROI_MAP_TILE_URL="off", PYTHONPATH=str(ROOT / "src"))
        subprocess.run([str(BIN / "beffroi"), "demo", "--no-serve"], env=env, check=True, capture_output=True)
        port, nginx_port = _free_port(), _free_port()
        server = subprocess.Popen(
            [str(BIN / "beffroi"), "serve", "--embedded", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        conf = Path(tmp) / "nginx.conf"
        public = data / "public"
        # Started as root, nginx's workers would run as nobody, who cannot read the private data folder.
        user = "user root;" if os.geteuid() == 0 else ""
        conf.write_text(NGINX_CONF.format(user=user, dir=tmp, port=nginx_port, public=public))
        subprocess.run([nginx, "-c", str(conf)], check=True)
        try:
            _wait(f"http://127.0.0.1:{port}/public/", server)
            pages = {"page": "/public/index.html"}
            if cap := _cap_path(public):
                pages["cap"] = cap
            else:
                print("bench_public: the demo published no CAP file; only the page is measured", flush=True)
            for label, path in pages.items():
                ours = _wrk(f"http://127.0.0.1:{port}{path}")
                anchor = _wrk(f"http://127.0.0.1:{nginx_port}{path}")
                size = (public / path.removeprefix("/public/")).stat().st_size
                write_result(
                    f"public_{label}_rps",
                    ours,
                    "req/s",
                    "nginx on the same files",
                    anchor,
                    path=path,
                    bytes=size,
                    connections=CONNECTIONS,
                    seconds=SECONDS,
                )
        finally:
            subprocess.run([nginx, "-c", str(conf), "-s", "stop"], capture_output=True)
            os.killpg(server.pid, signal.SIGINT)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)


if __name__ == "__main__":
    main()
