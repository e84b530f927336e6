"""Benchmark: generate a synthetic city and measure wall time and peak memory.

Usage: python bench/simulate.py [demo|district|city] [--seed N] [--keep DIR]
Prints one JSON line. The generator runs in a child process so peak RSS is its own.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOALS = {"demo": 60.0, "district": 300.0, "city": 900.0}
MEMORY_GOAL_GB = 8.0

CHILD = """
import json, sys
from pathlib import Path
from citybrain.simulate import service
m = service.generate_city(Path(sys.argv[1]), scale=sys.argv[2], seed=int(sys.argv[3]))
print(json.dumps(m["counts"]))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("scale", nargs="?", default="city", choices=sorted(GOALS))
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--keep", type=Path, help="write the city here and keep it")
    args = ap.parse_args()
    tmp = None
    if args.keep:
        out = args.keep
    else:
        tmp = tempfile.mkdtemp(prefix="citybrain-bench-")
        out = Path(tmp) / "city"
    try:
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", CHILD, str(out), args.scale,
                               str(args.seed)], capture_output=True, text=True)
        seconds = time.perf_counter() - t0
        if proc.returncode:
            sys.exit(f"generation failed:\n{proc.stderr[-4000:]}")
        counts = json.loads(proc.stdout.strip().splitlines()[-1])
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    peak_gb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024**2  # KiB → GiB
    goal = GOALS[args.scale]
    print(json.dumps({
        "bench": "simulate", "scale": args.scale, "metric": "seconds",
        "value": round(seconds, 2), "unit": "s",
        "baseline": "issue goal (900 s city / 60 s demo)", "baseline_value": goal,
        "ratio": round(seconds / goal, 4),
        "goal": f"< {goal:.0f} s and < {MEMORY_GOAL_GB:.0f} GB",
        "rows": counts["department_rows"], "peak_rss_gb": round(peak_gb, 3),
        "people": counts["people"], "companies": counts["companies"],
        "telemetry_readings": counts["telemetry_readings"],
        "ok": seconds < goal and peak_gb < MEMORY_GOAL_GB,
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
