#!/usr/bin/env python3
"""Prints the build outputs (relative to BUILD_DIR) that the tests of the given Meson suites
need: each test's executable and its `depends`. tools/dev builds only these in build-san/,
which runs only the unit and interop suites, so that the sanitized tree skips the benchmarks
and whatever else no sanitized test runs.

Usage: tools/test_targets.py BUILD_DIR SUITE...
"""
import json
import os
import subprocess
import sys


def introspect(build, what):
    out = subprocess.run(["meson", "introspect", build, what], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    build = os.path.realpath(sys.argv[1])
    suites = {f"sluice:{s}" for s in sys.argv[2:]}
    files = {t["id"]: t["filename"] for t in introspect(build, "--targets")}
    wanted = set()
    for test in introspect(build, "--tests"):
        if not suites & set(test["suite"]):
            continue
        for target in test["depends"]:
            wanted.update(files.get(target, []))
        if test["cmd"] and test["cmd"][0].startswith(build + os.sep):
            wanted.add(test["cmd"][0])
    for path in sorted(wanted):
        print(os.path.relpath(path, build))


if __name__ == "__main__":
    main()
