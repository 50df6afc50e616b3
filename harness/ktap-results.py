#!/usr/bin/env python3
"""Parse the KTAP in a guest console log with the kernel's own kunit.py parser.

The log is split into sections: "kernel" (everything before the first
"vc-init: begin" line, i.e. the KUnit results printed at boot) and one per
guest test script (between "vc-init: begin SCRIPT" and "vc-init: end SCRIPT
rc=N", see harness/guest/init). Kernel timestamps are stripped, each section
is fed to `kunit.py parse --json`, its summary is printed, and every leaf test
case is written to RESULTS as "PASS|FAIL|SKIP <section>.<suite>.<case>",
a skip followed by " # " and the test's own reason.
A script that exited non-zero without a failing case, or printed no KTAP, or
never finished, adds "FAIL <section>". The last stdout line is
"boot.sh: N passed, M failed, K skipped".

Usage: ktap-results.py LINUX_SRC CONSOLE_LOG RESULTS
"""
import json
import os
import re
import subprocess
import sys
import tempfile

linux, log, results = sys.argv[1:4]
kunit = os.path.join(linux, "tools/testing/kunit/kunit.py")
stamp = re.compile(r"^\[ *\d+\.\d+\] ?")
begin = re.compile(r"vc-init: begin (\S+)")
end = re.compile(r"vc-init: end (\S+) rc=(\d+)")

# sections: [name, lines, rc] ; rc None = did not finish (kernel: 0)
sections = [["kernel", [], 0]]
for line in open(log, encoding="utf-8", errors="replace"):
    line = stamp.sub("", line.rstrip("\r\n"))
    m, e = begin.search(line), end.search(line)
    if m:
        name = re.sub(r"^/opt/|\.sh$", "", m.group(1))
        sections.append([name, [], None])
    elif e and len(sections) > 1:
        sections[-1][2] = int(e.group(2))
    else:
        sections[-1][1].append(line)


# Kernel messages printed meanwhile (a driver probing while KUnit runs at
# boot) can land between a subtest's "KTAP version" header and its plan and
# derail the parser: only lines of the KTAP grammar are passed on.
ktap_line = re.compile(r"^\s*(KTAP version \d+|TAP version \d+|#|ok |not ok |\d+\.\.\d+|Bail out!)")


skip_line = re.compile(r"^\s*ok \d+ (.*?) # SKIP ?(.*)$")


def leaves(group, path, reasons):
    for case in group["test_cases"]:
        status = case["status"] if case["status"] in ("PASS", "SKIP") else "FAIL"
        name = ".".join(path + [case["name"] or "(unnamed)"])
        if status == "SKIP":
            name += " # " + reasons.get(case["name"], "(no reason given)")
        yield status, name
    for sub in group["sub_groups"]:
        yield from leaves(sub, path + [sub["name"]], reasons)


out = []
env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
with tempfile.TemporaryDirectory() as tmp:
    for name, lines, rc in sections:
        src, js = os.path.join(tmp, "in.log"), os.path.join(tmp, "out.json")
        with open(src, "w", encoding="utf-8") as f:
            f.write("\n".join(l for l in lines if ktap_line.match(l)) + "\n")
        print(f"--- KTAP of {name} ---", flush=True)
        run = subprocess.run([sys.executable, kunit, "parse", "--json=" + js, src],
                             env=env, check=False, stdout=subprocess.PIPE, text=True)
        print("".join(l for l in run.stdout.splitlines(True) if "results stored in" not in l), end="")
        # The reasons of the skips, by case name, from the section's lines.
        reasons = {}
        for l in lines:
            m = skip_line.match(l)
            if m:
                reasons.setdefault(m.group(1), m.group(2).strip())
        with open(js, encoding="utf-8") as f:
            got = list(leaves(json.load(f), [] if name == "kernel" else [name], reasons))
        out += got
        if name == "kernel":
            continue
        if rc is None:
            out.append(("FAIL", f"{name} (did not finish)"))
        elif not got:
            out.append(("FAIL", f"{name} (no KTAP output, rc={rc})"))
        elif rc != 0 and all(s != "FAIL" for s, _ in got):
            out.append(("FAIL", f"{name} (exited {rc})"))

with open(results, "w", encoding="utf-8") as f:
    f.writelines(f"{s} {n}\n" for s, n in out)
count = {s: sum(1 for x, _ in out if x == s) for s in ("PASS", "FAIL", "SKIP")}
for s, n in out:
    if s == "FAIL":
        print(f"FAIL {n}")
print(f"boot.sh: {count['PASS']} passed, {count['FAIL']} failed, {count['SKIP']} skipped")
