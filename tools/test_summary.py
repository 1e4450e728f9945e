#!/usr/bin/env python3
"""Summarise Meson test logs into one line: 'N passed, N failed, N skipped'.

Reads each meson-logs/testlog.json given (one JSON object per line). Under CI=true a
skipped test in the netns, interop or iouring suites counts as failed: those suites must
run for real in CI, so a skip there would hide that nothing was checked.
"""
import json
import os
import sys

MUST_RUN_IN_CI = {"netns", "interop", "iouring"}


def suites_of(record):
    return {s.split(":", 1)[-1] for s in record.get("suite", [])}


def main(paths):
    ci = os.environ.get("CI") == "true"
    passed = failed = skipped = 0
    problems = []
    for path in paths:
        if not os.path.exists(path):
            problems.append(f"{path}: no test log (the run did not happen)")
            failed += 1
            continue
        label = path.split("/")[0]
        with open(path, encoding="utf-8") as log:
            for line in log:
                line = line.strip()
                if not line:
                    continue
                record = json.loads(line)
                result = record.get("result", "")
                name = f"{label}/{record.get('name', '?')}"
                if result in ("OK", "EXPECTEDFAIL"):
                    passed += 1
                elif result == "SKIP":
                    if ci and suites_of(record) & MUST_RUN_IN_CI:
                        failed += 1
                        problems.append(f"{name}: skipped in CI, which counts as a failure")
                    else:
                        skipped += 1
                        problems.append(f"{name}: skipped")
                else:
                    failed += 1
                    problems.append(f"{name}: {result}")
    for p in problems:
        print(p)
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
