"""Printing figures against their targets."""

from __future__ import annotations

import resource
import statistics


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def figure(label: str, value: float, unit: str, target: float | None = None) -> bool:
    """Print one figure; with a target (an upper bound), say whether it is met."""
    if target is None:
        print(f"  {label:<58} {value:>10.2f} {unit}")
        return True
    met = value <= target
    print(f"  {label:<58} {value:>10.2f} {unit}   target < {target:g} {unit}: {'ok' if met else 'MISSED'}")
    return met


def distribution(label: str, samples_ms: list[float], p99_target_ms: float | None = None) -> bool:
    figure(f"{label} p50", statistics.median(samples_ms), "ms")
    figure(f"{label} max", max(samples_ms), "ms")
    return figure(f"{label} p99", percentile(samples_ms, 99), "ms", p99_target_ms)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
