"""Run every benchmark (bench/bench_*.py, each with a ``main()``), or those named on the command line
(``python -m bench alerts_delivery public monitoring``: the delivery, public-page and SSE figures), then
print one summary line a figure: value, baseline (which one, and its value in the same run), ratio
(> 1: Beffroi does better) and the JSON file under bench/out/ that holds it."""

from __future__ import annotations

import json
import os
import pkgutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent


def main(names: list[str]) -> int:
    modules = sorted(m.name for m in pkgutil.iter_modules([str(HERE)]) if m.name.startswith("bench_"))
    if names:
        modules = [m for m in modules if any(n in m for n in names)]
    started = time.time()
    failed = []
    # Each benchmark in a process of its own: each sets up Django on its own data folder and
    # settings, which a process can do only once.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE.parent / "src"), str(HERE.parent)])}
    for name in modules:
        print(f"== {name}", flush=True)
        code = f"import bench.{name} as b; b.main()"
        if subprocess.run([sys.executable, "-c", code], cwd=HERE.parent, env=env).returncode:
            failed.append(name)
    _summary(started)
    if failed:
        print(f"failed: {', '.join(failed)}", flush=True)
    return 1 if failed else 0


def _summary(started: float) -> None:
    from bench.common import OUT

    results = [
        json.loads(path.read_text()) for path in sorted(OUT.glob("*.json")) if path.stat().st_mtime >= started
    ]
    if not results:
        return
    print("\n== summary (ratio > 1: Beffroi does better than the baseline of the same run)", flush=True)
    for r in results:
        print(
            f"{r['name']}: {r['value']:,.2f} {r['unit']} | baseline {r['baseline']}:"
            f" {r['baseline_value']:,.2f} {r['unit']} | ratio {r['ratio']:.2f}"
            f" | {(OUT / (r['name'] + '.json')).relative_to(OUT.parent.parent)}",
            flush=True,
        )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
