"""Shared output for benchmarks: one JSON line per case, ratio "higher is better".

Every benchmark measures its baseline in the same run (machines are noisy) and
reports ``ratio`` = value/baseline for throughputs, baseline/value for
latencies and sizes. ``ok`` says whether ``ratio`` meets ``min_ratio`` (or, for
absolute bounds, whatever check the benchmark passes in).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def parse_args(description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="small sizes; under a minute")
    return parser.parse_args()


def report(
    bench: str,
    case: str,
    *,
    value: float,
    unit: str,
    baseline: float,
    target: str,
    ok: bool,
    higher_is_better: bool = True,
    **extra: Any,
) -> dict[str, Any]:
    """Print one JSON line and return it."""
    if higher_is_better:
        ratio = value / baseline if baseline else 0.0
    else:
        ratio = baseline / value if value else 0.0
    line: dict[str, Any] = {
        "bench": bench,
        "case": case,
        "value": round(value, 4) if isinstance(value, float) else value,
        "unit": unit,
        "baseline": round(baseline, 4) if isinstance(baseline, float) else baseline,
        "ratio": round(ratio, 3),
        "target": target,
        "ok": bool(ok),
    }
    line.update(extra)
    print(json.dumps(line, ensure_ascii=False), flush=True)
    sys.stdout.flush()
    return line
