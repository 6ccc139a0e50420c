"""Shared harness of the benchmarks: each writes bench/out/<name>.json and prints one line a figure.

A figure is always reported with its baseline, measured in the same run on the same data, and the
ratio between them; there is no timed assertion anywhere.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import socket
import subprocess
import time
from contextlib import contextmanager, suppress
from pathlib import Path

OUT = Path(__file__).parent / "out"
RESULTS: list[dict] = []  # every figure written by this process, for ``python -m bench``'s summary


def write_result(
    name: str,
    value: float,
    unit: str,
    baseline: str,
    baseline_value: float,
    higher_is_better: bool = True,
    **extra,
) -> dict:
    """Record one figure. ``ratio`` > 1 means Beffroi does better than the baseline."""
    if baseline_value:
        ratio = value / baseline_value if higher_is_better else baseline_value / value if value else 0.0
    else:
        ratio = 0.0
    result = {
        "name": name,
        "value": round(value, 4),
        "unit": unit,
        "baseline": baseline,
        "baseline_value": round(baseline_value, 4),
        "ratio": round(ratio, 3),
        **extra,
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{name}.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
    RESULTS.append(result)
    print(
        f"{name}: {value:,.2f} {unit} | baseline {baseline}: {baseline_value:,.2f} {unit} | ratio {ratio:.2f}"
        + "".join(f" | {k} {v}" for k, v in extra.items()),
        flush=True,
    )
    return result


@contextmanager
def timer():
    box = {}
    start = time.perf_counter()
    yield box
    box["seconds"] = time.perf_counter() - start


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def setup_django(data_dir: Path | None = None) -> None:
    if data_dir is not None:
        os.environ["BEFFROI_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "beffroi.settings")
    import django

    django.setup()


_handed_out: set[int] = set()


def free_port() -> int:
    """A free TCP port on 127.0.0.1 for a bench's server or sink.

    ``BENCH_PORTS=8630-8659`` keeps every bench inside that range (a shared machine gives each
    user their own ports); without it the system picks an ephemeral port. A port is handed out once
    per process, so that two servers started one after the other never get the same one.
    """
    spec = os.environ.get("BENCH_PORTS", "").strip()
    if not spec:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return sock.getsockname()[1]
    low, _dash, high = spec.partition("-")
    for port in range(int(low), int(high or low) + 1):
        if port in _handed_out:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    raise RuntimeError(f"BENCH_PORTS={spec}: no free port left in the range")


def stop_group(proc: subprocess.Popen, grace: float = 10.0) -> None:
    """Stop a server started with ``start_new_session=True``: SIGTERM, then its whole process group
    killed after ``grace`` seconds (killing granian's main process alone left its worker running)."""
    proc.terminate()
    with suppress(subprocess.TimeoutExpired):
        proc.wait(grace)
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(5)
