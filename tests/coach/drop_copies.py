"""Drop the held-out phrasings that copy a router example or tuning phrasing as the router reads them.

Usage: python -m tests.coach.drop_copies [--dry-run]

The router reads a question with the deal's name masked and its words normalized, so "why is globex stuck"
is the example "why is acme stuck". Each held-out item whose reading equals, or comes within RapidFuzz ratio
``phrasings.NEAR_COPY`` of, a router example or a tuning phrasing is removed from its file, line by line,
without printing it: held-out items are never read. Prints only counts per part.
"""

from __future__ import annotations

import argparse
import re

import yaml

from tests.coach import phrasings

FILES = {"held_out": phrasings.PHRASINGS, "blind_held_out": phrasings.BLIND,
         "blind3_held_out": phrasings.BLIND3, "blind4_held_out": phrasings.BLIND4,
         phrasings.FROZEN_PART: phrasings.FROZEN}
_SECTION = re.compile(r"^(\w+):\s*$")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dry-run", action="store_true", help="count only; change no file")
    args = parser.parse_args()
    readings = phrasings.tuning_readings()
    for part, path in FILES.items():
        if not path.exists():  # the frozen set, before its author delivers it
            continue
        section = part.removeprefix("blind_").removeprefix("blind3_").removeprefix("blind4_")
        items = phrasings.load(part)
        found = phrasings.copies(items, readings)
        same = sum(score == 100 for _, score in found)
        drop = {item["text"] for item, _ in found}
        print(f"{part}: {len(items)} items, {same} copies and {len(found) - same} near-copies "
              f"(ratio >= {phrasings.NEAR_COPY}) as the router reads them; {len(items) - len(found)} kept")
        if args.dry_run or not found:
            continue
        kept, current = [], None
        for line in path.read_text(encoding="utf-8").splitlines(keepends=True):
            if heading := _SECTION.match(line):
                current = heading.group(1)
            if (current == section and line.lstrip().startswith("- {")
                    and yaml.safe_load(line.strip()[2:])["text"] in drop):
                continue
            kept.append(line)
        path.write_text("".join(kept), encoding="utf-8")
        assert len(phrasings.load(part)) == len(items) - len(found), part


if __name__ == "__main__":
    main()
