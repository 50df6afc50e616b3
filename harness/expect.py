#!/usr/bin/python3
"""Judge a run's skips and sections against what its step expects.

Usage: expect.py RESULTS EXPECT

RESULTS: lines "PASS|FAIL|SKIP NAME", a skip followed by " # " and the
test's own reason (harness/ktap-results.py's results.txt for a boot,
harness/kunit.sh's for KUnit).

EXPECT (harness/expect/STEP): lines
    section PREFIX              results named PREFIX.* must exist (a test
                                script or suite that must have reported)
    skip GLOB "TEXT" why...     a skip of a test matching GLOB is expected
                                if its own reason contains TEXT; why says
                                why this step cannot run it
and comments (#).  Any skip no "skip" line expects (by name and reason)
fails, as does a missing section or a "skip" line without its TEXT and
why.  A skip that is
expected but did not happen is reported (the test now runs there), not
failed.  Prints one line per finding, then "expect: ..." and exits 1 on a
failure.
"""
import fnmatch
import re
import sys


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    results = []
    with open(sys.argv[1]) as f:
        for line in f:
            parts = line.rstrip("\n").split(" ", 1)
            if len(parts) == 2:
                name, _, why = parts[1].partition(" # ")
                results.append((parts[0], name, why))
    sections, skips, bad = [], [], []
    with open(sys.argv[2]) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            words = line.split(None, 1)
            m = re.match(r'^skip\s+(\S+)\s+"([^"]+)"\s+(\S.*)$', line)
            if words[0] == "section" and len(line.split()) == 2:
                sections.append(line.split()[1])
            elif m:
                skips.append((m.group(1), m.group(2)))
            else:
                bad.append(f"{sys.argv[2]}:{n}: not 'section PREFIX' or 'skip GLOB \"TEXT\" why': {line}")

    def expected(name, why):
        return any(fnmatch.fnmatchcase(name, g) and text in why for g, text in skips)

    unexpected = [f"{name} # {why}" for st, name, why in results
                  if st == "SKIP" and not expected(name, why)]
    missing = [s for s in sections
               if not any(name == s or name.startswith(s + ".") for _, name, _ in results)]
    unused = [f'{g} "{t}"' for g, t in skips
              if not any(st == "SKIP" and fnmatch.fnmatchcase(name, g) and t in why
                         for st, name, why in results)]
    for b in bad:
        print(f"expect: {b}")
    for name in unexpected:
        print(f"expect: unexpected skip: {name}")
    for s in missing:
        print(f"expect: missing section: {s} (no result from it)")
    for g in unused:
        print(f"expect: note: expected skip {g} did not happen")
    nskip = sum(1 for st, _, _ in results if st == "SKIP")
    print(f"expect: {nskip} skipped, all expected" if not unexpected else
          f"expect: {len(unexpected)} of {nskip} skips unexpected",
          f"; {len(sections) - len(missing)} of {len(sections)} sections reported")
    sys.exit(1 if unexpected or missing or bad else 0)


if __name__ == "__main__":
    main()
