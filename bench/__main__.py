"""`python -m bench [--quick] [--plot PATH]`: every benchmark in one run, a table, then one JSON line.

Full: ingest sustained 20 s per case at 5,000 and 100,000 stored approvals (bot and baseline), store growth
at 1k/10k/100k, 2,000 callbacks applied in process over 100,000 stored, the sweep of 10,000 pending,
delivery with one throttled channel (about 7 minutes on two CPUs). --quick: 5 s per ingest case, 1k/10k for
growth, the 2,000 callbacks over 5,000 stored, under two minutes; its figures are indicative only.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

from bench import apply, delivery, growth, ingest, report, sweep
from bench.common import ROOT


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short runs, smaller stores (under two minutes)")
    parser.add_argument(
        "--plot", type=Path, default=ROOT / "docs" / "bench-ingest.png", help="where the ingest plot goes"
    )
    args = parser.parse_args()
    if args.quick:
        sizes = {"ingest": (5_000, 10_000), "growth": (1_000, 10_000)}
        seconds, pending, approvals = 5.0, 2_000, 40
        drain_limit = 10.0  # what drains drains in seconds; a PostgreSQL case that does not, stops here
        burst = (2_000, 5_000)
    else:
        sizes = {"ingest": (5_000, 100_000), "growth": (1_000, 10_000, 100_000)}
        seconds, pending, approvals = 20.0, 10_000, 200
        drain_limit = 30.0
        burst = (2_000, 100_000)
    began = time.time()
    figures = {
        "command": "python -m bench" + (" --quick" if args.quick else ""),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "system": platform.platform(),
        },
        "sizes": sizes,
        "ingest": ingest.run(sizes["ingest"], seconds, drain_limit, one_process=not args.quick),
        "growth": growth.run(sizes["growth"]),
        "apply": apply.run(*burst),
        "sweep": sweep.run(pending),
        "delivery": delivery.run(approvals),
    }
    figures["targets"] = report.targets(figures)
    figures["wall_s"] = time.time() - began
    report.plot(figures, args.plot)
    print(report.table(figures))
    print(report.json_line(figures))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
