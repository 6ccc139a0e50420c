"""Run every benchmark (bench/bench_*.py, each with a ``main()``), or those named on the command line
(``python -m bench alerts_delivery public monitoring``: the delivery, public-page and SSE figures), then
print one summary line a figure: value, baseline (which one, and its value in the same run), ratio
(> 1: Beffroi does better) and the JSON file under bench/out/ that holds it."""

from __future__ import annotations

import importlib
import pkgutil
import sys
import traceback
from pathlib import Path


def main(names: list[str]) -> int:
    here = Path(__file__).parent
    modules = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    if names:
        modules = [m for m in modules if any(n in m for n in names)]
    failed = 0
    for name in modules:
        print(f"== {name}", flush=True)
        try:
            importlib.import_module(f"bench.{name}").main()
        except Exception:
            traceback.print_exc()
            failed += 1
    _summary()
    return 1 if failed else 0


def _summary() -> None:
    from bench.common import OUT, RESULTS

    if not RESULTS:
        return
    print("\n== summary (ratio > 1: Beffroi does better than the baseline of the same run)", flush=True)
    for r in RESULTS:
        print(
            f"{r['name']}: {r['value']:,.2f} {r['unit']} | baseline {r['baseline']}:"
            f" {r['baseline_value']:,.2f} {r['unit']} | ratio {r['ratio']:.2f}"
            f" | {(OUT / (r['name'] + '.json')).relative_to(OUT.parent.parent)}",
            flush=True,
        )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
