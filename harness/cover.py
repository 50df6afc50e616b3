#!/usr/bin/env python3
"""Cover-letter and MAINTAINERS helpers for export.sh.

extract COVER      print "subject\\n\\nblurb" of an existing cover letter
fixdate DIR        give the cover letter in DIR the Date: of the last patch
maintainers LINUX BASE   print the lines the series adds to MAINTAINERS
"""
import email.header
import glob
import os
import re
import subprocess
import sys

DEFAULT = ("mm: virtual compound pages (__GFP_VFALLBACK)\n\n"
           "(cover letter blurb goes here)")


def headers_and_body(text):
    head, _, body = text.partition("\n\n")
    # unfold continuation lines
    head = re.sub(r"\n[ \t]+", " ", head)
    hdrs = {}
    for line in head.splitlines():
        if ":" in line and not line.startswith("From "):
            k, v = line.split(":", 1)
            hdrs[k.strip().lower()] = v.strip()
    return hdrs, body


def extract(path):
    if not os.path.exists(path):
        print(DEFAULT)
        return
    hdrs, body = headers_and_body(open(path, encoding="utf-8").read())
    subj = str(email.header.make_header(email.header.decode_header(hdrs["subject"])))
    subj = re.sub(r"^\[[^]]*\]\s*", "", subj)
    lines = body.splitlines()
    out = []
    for line in lines:
        # the shortlog starts with "Author Name (N):"
        if re.match(r"^\S.* \(\d+\):$", line):
            break
        out.append(line)
    while out and not out[-1].strip():
        out.pop()
    print(subj + "\n\n" + "\n".join(out))


def fixdate(d):
    patches = sorted(glob.glob(os.path.join(d, "*.patch")))
    cover = [p for p in patches if os.path.basename(p).startswith("0000-")][0]
    last = patches[-1]
    date = re.search(r"^Date: .*$", open(last, encoding="utf-8").read(), re.M).group(0)
    text = open(cover, encoding="utf-8").read()
    text = re.sub(r"^Date: .*$", lambda _: date, text, count=1, flags=re.M)
    open(cover, "w", encoding="utf-8").write(text)


def maintainers(linux, base):
    diff = subprocess.run(["git", "-C", linux, "diff", "-U0", base, "HEAD", "--", "MAINTAINERS"],
                          capture_output=True, text=True, check=True).stdout
    added = [l[1:] for l in diff.splitlines() if l.startswith("+") and not l.startswith("+++")]
    if added:
        print("# The MAINTAINERS entry the series adds (tree form; the patch is canonical).")
        print("\n".join(added))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "extract":
        extract(sys.argv[2])
    elif cmd == "fixdate":
        fixdate(sys.argv[2])
    elif cmd == "maintainers":
        maintainers(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
