#!/usr/bin/env python3
"""Check that every option the fragments request is in the final .config
(the last fragment that names an option wins, as in merge_config.sh).

Usage: checkconfig.py FINAL_CONFIG FRAGMENT...
Exits 1 naming each option whose final value differs from the request.
Options named in the environment variable VC_MUST_DROP (space separated)
must end up unset although a fragment asks for them: Kconfig refusing them
is what such a configuration tests.
"""
import os
import re
import sys


def parse(path):
    vals = {}
    for line in open(path, encoding="utf-8"):
        line = line.strip()
        m = re.match(r"^(CONFIG_\w+)=(.*)$", line)
        if m:
            vals[m.group(1)] = m.group(2)
            continue
        m = re.match(r"^# (CONFIG_\w+) is not set$", line)
        if m:
            vals[m.group(1)] = "n"
    return vals


final = parse(sys.argv[1])
# Later fragments override earlier ones, as in merge_config.sh.
wanted = {}
for frag in sys.argv[2:]:
    for opt, want in parse(frag).items():
        wanted[opt] = (want, frag)
must_drop = set(os.environ.get("VC_MUST_DROP", "").split())
bad = 0
for opt, (want, frag) in wanted.items():
    got = final.get(opt, "n")
    if opt in must_drop:
        if got == "n":
            print(f"checkconfig: {opt}={want} requested by {frag} was refused by Kconfig, as it must be")
        else:
            print(f"checkconfig: {opt}={got} but Kconfig must refuse it here (MUST_DROP)", file=sys.stderr)
            bad += 1
        continue
    if got != want:
        print(f"checkconfig: {opt}={want} requested by {frag} but final .config has {opt}={got}",
              file=sys.stderr)
        bad += 1
sys.exit(1 if bad else 0)
