#!/usr/bin/env python3
"""Print the compiler and sparse warnings of a build log that fall on lines
the series adds or changes, and exit 1 if there are any.

Usage: newwarn.py LINUX BASE_COMMIT BUILD_LOG
The lines come from `git diff -U0 BASE_COMMIT HEAD` in LINUX; a warning is
"path:line[:col]: warning|error: ..." with any leading "../" or build
directory prefix before the kernel path.
"""
import re
import subprocess
import sys

linux, base, log = sys.argv[1:4]
diff = subprocess.run(["git", "-C", linux, "diff", "-U0", base, "HEAD"],
                      check=True, stdout=subprocess.PIPE, text=True).stdout
added = {}
path = None
for line in diff.splitlines():
    if line.startswith("+++ "):
        path = line[6:] if line.startswith("+++ b/") else None
        continue
    m = re.match(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@", line)
    if m and path:
        start, count = int(m.group(1)), int(m.group(2) or 1)
        added.setdefault(path, set()).update(range(start, start + count))

warn = re.compile(r"^(?:.*?/)?(?P<path>(?:arch|mm|lib|kernel|include|crypto|fs|init|drivers|tools)/[\w./-]+):(?P<line>\d+):(?:\d+:)? (?:warning|error): ")
seen, new = set(), []
for line in open(log, encoding="utf-8", errors="replace"):
    m = warn.match(line.strip())
    if not m:
        continue
    p, n = m.group("path"), int(m.group("line"))
    if n in added.get(p, ()) and line not in seen:
        seen.add(line)
        new.append(line.rstrip())
for line in new:
    print(line)
print(f"newwarn: {len(new)} new warning(s) on lines the series touches")
sys.exit(1 if new else 0)
