"""Run every benchmark module in turn: `python -m bench` (or `python -m bench pages`)."""

from __future__ import annotations

import sys

from bench import cache, cards, pages, sync, webhooks

MODULES = {
    "pages": pages,
    "cache": cache,
    "sync": sync,
    "webhooks": webhooks,
    "cards": cards,
}


def main(argv: list[str]) -> int:
    names = argv or list(MODULES)
    unknown = [name for name in names if name not in MODULES]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(MODULES)}")
        return 2
    failed = False
    for name in names:
        failed |= not MODULES[name].run()  # run() is False when a hard target is missed
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
