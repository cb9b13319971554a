"""Summarise a py-spy ``--format raw`` profile (collapsed stacks) into the top costs.

Usage: ``.venv/bin/python bench/intake/pyspy_top.py bench/results/pyspy-postgres-<stamp>.txt [--top 25]``

Each line of the raw format is ``frame;frame;...;leaf count``, outermost
frame first. We count, per function (``name (file)``, line numbers dropped):

- inclusive: samples whose stack contains it (once per stack) -- "how much of
  the request is spent under this call";
- self: samples where it is the leaf -- "where the CPU actually is".

Samples of idle workers (waiting in ``accept``/``select`` in gunicorn's loop)
are counted apart, so percentages are of busy time.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path
from typing import Any

FRAME_LINE = re.compile(r":\d+\)$")
IDLE_LEAVES = ("select (selectors.py", "wait (gunicorn/workers/", "accept (socket.py", "sleep (gunicorn/arbiter.py",
               "_accept (socket.py", "run_for_one (gunicorn/workers/sync.py", "poll (selectors.py")


def _function(frame: str) -> str:
    frame = FRAME_LINE.sub(")", frame.strip())
    # Shorten site-packages paths to the package-relative path.
    return re.sub(r"\((?:/[^()]*?/site-packages/|/[^()]*?/work/main/)", "(", frame)


def summarise(path: Path, top: int = 25) -> dict[str, Any]:
    inclusive: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    busy = idle = 0
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_function(f) for f in stack.split(";") if f.strip()]
        frames = [f for f in frames if not f.startswith(("process ", "thread "))]
        if not frames:
            continue
        leaf = frames[-1]
        if any(leaf.startswith(p) for p in IDLE_LEAVES) or "master" in frames[0]:
            idle += count
            continue
        busy += count
        leaves[leaf] += count
        for name in set(frames):
            inclusive[name] += count

    def share(counter: Counter[str]) -> list[tuple[str, float]]:
        return [(name, round(100 * n / busy, 1)) for name, n in counter.most_common(top)] if busy else []

    return {"busy_samples": busy, "idle_samples": idle, "top_inclusive_pct": share(inclusive),
            "top_self_pct": share(leaves)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("raw", type=Path)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--grep", default="", help="only list inclusive entries containing this text")
    args = parser.parse_args()
    result = summarise(args.raw, top=10_000 if args.grep else args.top)
    print(f"busy samples {result['busy_samples']}, idle {result['idle_samples']}")
    print("\ninclusive % of busy time:")
    shown = [r for r in result["top_inclusive_pct"] if args.grep in r[0]][: args.top]
    for name, pct in shown:
        print(f"  {pct:5.1f}  {name}")
    print("\nself % of busy time:")
    for name, pct in result["top_self_pct"][: args.top]:
        print(f"  {pct:5.1f}  {name}")


if __name__ == "__main__":
    main()
