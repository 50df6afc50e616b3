#!/usr/bin/env python3
"""Tabulate and plot the results of lib/bench_vcompound.c from a console log.

Reads the "bench_vcompound: key=value ..." lines the module prints (and the
"bench-guest: ..." lines of harness/bench/run-bench.sh), with or without a
"[   12.345678] " kernel timestamp prefix, and prints markdown tables, one
per cell, to stdout (and to --md FILE). With --png FILE it also draws the
median latency per order and contender of the fallback and frag cells, with
a log-scale y axis and p10..p90 bars; matplotlib (Debian: python3-matplotlib)
is imported only then, and if it is missing the tables are still written.

A row that appears more than once (the module loaded twice with the same
cells) is taken from its last run. Ratios in the tables are the module's
own (median / median of the baseline of the same row, measured in the same
run, contenders interleaved), except for the hot cell's after/before ratio,
which compares two module loads of the same boot.

Usage: plot.py CONSOLE_LOG [--md OUT.md] [--png OUT.png]
Exit status: 0, or 1 if the log has no benchmark result at all.
"""
import argparse
import re
import sys

STAMP = re.compile(r"^\[ *\d+\.\d+\] ?")
KV = re.compile(r'(\w+)=("[^"]*"|\S+)')
TAG = "bench_vcompound: "
GUEST = "bench-guest: "


def parse_kv(text):
    return {k: v[1:-1] if v.startswith('"') else v for k, v in KV.findall(text)}


def parse(path):
    """Return (start/done lines, result rows, other module lines, guest lines)."""
    meta, rows, notes, guest = [], {}, [], []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = STAMP.sub("", line.rstrip("\r\n"))
            if TAG in line:
                text = line.split(TAG, 1)[1]
                kv = parse_kv(text)
                first = text.split(" ", 1)[0]
                if first in ("start", "done"):
                    kv["_kind"] = first
                    meta.append(kv)
                elif "contender" in kv and "median_ns" in kv:
                    key = tuple(sorted((k, v) for k, v in kv.items()
                                       if k in ("cell", "phase", "order", "op", "pattern", "contender")))
                    rows[key] = kv          # the last run wins
                else:
                    notes.append(kv)
            elif GUEST in line:
                guest.append(parse_kv(line.split(GUEST, 1)[1]))
    return meta, list(rows.values()), notes, guest


def num(v, default=None):
    try:
        return float(v)
    except (TypeError, ValueError):
        return default


def fmt_t(ns):
    """A duration in ns, scaled for reading."""
    v = num(ns)
    if v is None:
        return "n/a"
    if v < 1e3:
        return f"{v:.1f} ns"
    if v < 1e6:
        return f"{v / 1e3:.2f} us"
    return f"{v / 1e6:.2f} ms"


def spread(r):
    return f"{fmt_t(r.get('p10_ns'))} .. {fmt_t(r.get('p90_ns'))}"


def ratio(r):
    return r.get("ratio", "")


def order_key(r):
    return int(r.get("order", 0))


def table(out, head, lines):
    out.append("| " + " | ".join(head) + " |")
    out.append("|" + "|".join("---" for _ in head) + "|")
    for ln in lines:
        out.append("| " + " | ".join(str(x) for x in ln) + " |")
    out.append("")


def select(rows, **want):
    return [r for r in rows if all(r.get(k) == v for k, v in want.items())]


def report(meta, rows, notes, guest):
    out = ["# vcompound benchmark (lib/bench_vcompound.c)", ""]

    # -- run conditions
    out.append("## Run")
    out.append("")
    for g in guest:
        if "kernel" in g or "phase_before" in g or "error" in g or \
                g.get("state") in ("start", "end") or "note" in g:
            out.append("- guest: " + ", ".join(f"{k}={v}" for k, v in g.items()))
    for m in meta:
        keys = ("phase", "in_use", "policy", "cells", "clock", "ktime_res_ns", "tsc_khz",
                "online_cpus", "preempt_count", "jump_label", "vcompound_alloc",
                "hypervisor") if m["_kind"] == "start" else \
               ("phase", "live_before", "live_after", "vcompound_alloc_delta", "elapsed_ms", "note")
        out.append(f"- module {m['_kind']}: " + ", ".join(f"{k}={m[k]}" for k in keys if k in m))
    for n in notes:
        if "note" in n:
            where = f"cell {n['cell']}: " if "cell" in n else ""
            out.append(f"- note: {where}{n['note']}")
    if any(m.get("clock") == "tsc" for m in meta):
        out.append("- samples were timed with the TSC of the pinned CPU (ktime_get_ns() was too "
                   "coarse in this guest), converted with tsc_khz")
    out.append("")

    clock = select(rows, cell="clock")
    if clock:
        out.append("## Timer overhead (empty timed region)")
        out.append("")
        table(out, ["clock", "median", "p10 .. p90"],
              [[r.get("clock", "?"), fmt_t(r["median_ns"]), spread(r)] for r in clock])

    # -- cell 1
    fp = select(rows, cell="fastpath")
    if fp:
        out.append("## 1. Fast path: alloc_pages(GFP_KERNEL|__GFP_COMP) + __free_pages, "
                   "with vs without __GFP_VFALLBACK (policy late)")
        out.append("")
        lines = []
        for ph in ("before", "after"):
            for op in ("alloc_free", "alloc", "free"):
                for plain in sorted(select(fp, phase=ph, op=op, contender="plain"), key=order_key):
                    vf = select(fp, phase=ph, op=op, order=plain["order"], contender="vfallback")
                    vf = vf[0] if vf else {}
                    lines.append([ph, plain.get("in_use", "?"), plain["order"], op,
                                  fmt_t(plain["median_ns"]), spread(plain),
                                  fmt_t(vf.get("median_ns")), spread(vf), ratio(vf),
                                  vf.get("vcompound_created", "?")])
        table(out, ["phase", "in_use", "order", "op", "plain median", "plain p10..p90",
                    "VFALLBACK median", "VFALLBACK p10..p90", "ratio VFALLBACK/plain",
                    "vcompounds created"], lines)

    # -- cell 2
    fb = select(rows, cell="fallback")
    if fb:
        out.append("## 2. Fallback path (policy always): alloc + touch every page + free")
        out.append("")
        out.append("vcompound includes the deferred release (vcompound_flush_deferred(), timed "
                   "separately and added); vcompound_noflush leaves it out. "
                   "kvmalloc: kmalloc leg while contiguous memory exists (see its column).")
        out.append("")
        lines = []
        for order in sorted({int(r["order"]) for r in fb}):
            by = {r["contender"]: r for r in select(fb, order=str(order))}
            vc, vn, vm, kv = (by.get(c, {}) for c in
                              ("vcompound", "vcompound_noflush", "vmalloc", "kvmalloc"))
            lines.append([order, by.get("vmalloc", {}).get("size_kib", "?"),
                          fmt_t(vc.get("median_ns")), spread(vc), ratio(vc),
                          fmt_t(vn.get("median_ns")), ratio(vn),
                          fmt_t(vm.get("median_ns")), spread(vm),
                          fmt_t(kv.get("median_ns")), ratio(kv),
                          kv.get("label", "kvmalloc"),
                          vc.get("virtual", "?"), vc.get("deferred_frees", "?")])
        table(out, ["order", "KiB", "vcompound", "p10..p90", "ratio vs vmalloc",
                    "vcompound (no flush)", "ratio", "vmalloc", "p10..p90", "kvmalloc", "ratio",
                    "kvmalloc leg", "virtual", "deferred frees"], lines)

    # -- cell 3
    hot = select(rows, cell="hot")
    if hot:
        out.append("## 3. Hot paths, per operation (batches of "
                   f"{hot[0].get('batch', '?')}), before and after the first vcompound")
        out.append("")
        lines = []
        for op, cont in (("kmalloc64_kfree", "kmalloc_kfree"), ("virt_to_folio", "virt_to_folio"),
                         ("virt_to_folio", "legacy")):
            b = select(hot, op=op, contender=cont, phase="before")
            a = select(hot, op=op, contender=cont, phase="after")
            b, a = (b[0] if b else {}), (a[0] if a else {})
            bm, am = num(b.get("median_ns")), num(a.get("median_ns"))
            ab = f"{am / bm:.3f}" if am and bm else "n/a"
            label = {"legacy": "page_folio(virt_to_page()) (pre-series virt_to_folio)"}.get(cont, cont)
            lines.append([op, label, fmt_t(b.get("median_ns")), spread(b), b.get("in_use", "-"),
                          fmt_t(a.get("median_ns")), spread(a), a.get("in_use", "-"), ab,
                          ratio(a) or "-"])
        table(out, ["op", "contender", "before median", "before p10..p90", "in_use",
                    "after median", "after p10..p90", "in_use", "after/before",
                    "after: ratio vs legacy (same run)"], lines)
        if not select(hot, phase="before"):
            out.append("phase=before was not measured in this boot (see Run).")
            out.append("")

    # -- cell 4
    fr = select(rows, cell="frag")
    setup = [n for n in notes if n.get("cell") == "frag" and "got_mb" in n]
    if fr or setup:
        out.append("## 4. Under fragmentation")
        out.append("")
        for s in setup:
            out.append("setup: " + ", ".join(f"{k}={v}" for k, v in s.items() if k != "cell"))
            out.append("")
        lines = []
        for order in sorted({int(r["order"]) for r in fr}):
            for c in ("plain", "vfallback_late", "vfallback_early", "kvmalloc"):
                for r in select(fr, order=str(order), contender=c):
                    virt = r.get("virtual", r.get("vmalloc_leg", "?"))
                    lines.append([order, c, r.get("ok", "?"), f"{r.get('success_pct', '?')}%",
                                  virt + (" (vmalloc leg)" if "vmalloc_leg" in r else ""),
                                  fmt_t(r["median_ns"]), spread(r),
                                  fmt_t(r.get("ok_median_ns")), ratio(r)])
        table(out, ["order", "contender", "ok", "success", "virtual", "median (all tries)",
                    "p10..p90", "median (successes)", "ratio vs plain"], lines)

    # -- cell 5
    acc = select(rows, cell="access")
    if acc:
        out.append("## 5. Access cost over 2 MiB: contiguous order-9 page vs forced vcompound "
                   "vs vmalloc()")
        out.append("")
        out.append("Under QEMU TCG (no KVM) the software MMU dominates every access: TLB "
                   "effects are not representative.")
        out.append("")
        lines = []
        for pat in ("seq_read", "seq_write", "rand_read", "rand_write"):
            for c in ("contig", "vcompound", "vmalloc"):
                for r in select(acc, pattern=pat, contender=c):
                    lines.append([pat, c, r.get("ns_per_access", "?"), r.get("mbps", "?"),
                                  fmt_t(r["median_ns"]), spread(r), ratio(r)])
        table(out, ["pattern", "region", "ns/access (median)", "MB/s (median)",
                    "pass median", "pass p10..p90", "ratio vs contig"], lines)

    # -- cells 6 and 7 (harness/bench/ringbench.c, user space)
    ring_cells = (
        ("ring", "6. af_packet ring of 16 blocks of 32 KiB: setsockopt() (allocation), "
         "then mmap() + touch every page + munmap()",
         "TSC cycles, not ns; contenders interleaved. vcompound and vzalloc are the "
         "two fallbacks taken at once (contiguous memory refused by fault injection "
         "for vzalloc). ring_setup includes an RCU grace period common to all three.",
         "contig"),
        ("ring_frag", "7. The same ring with memory held in order-2 holes (frag_keep, "
         "frag_hole_order=2): vcompound vs af_packet's own vzalloc()",
         "TSC cycles, not ns; contenders interleaved. Both first try a contiguous "
         "block (__GFP_NORETRY, with its compaction), which fragmentation makes fail; "
         "then vcompound falls back to a virtual compound page (policy late) and "
         "vzalloc, with every fallback failed by fail_vcompound, to af_packet's "
         "vzalloc(): what the caller did before the conversion.",
         "vzalloc"),
        ("ring_frag0", "8. The same ring with memory held in order-0 holes (frag_keep, "
         "frag_hole_order=0): no order-2 head chunk is to be had",
         "As section 7, but with no free order-2 block at the start the "
         "fallback can build a virtual compound page only from head chunks that "
         "earlier rings freed; where it fails, af_packet goes on to vzalloc(). "
         "The vcompound share is reported, not judged.",
         "vzalloc"),
    )
    holes = {"ring_frag": "2", "ring_frag0": "0"}
    for cellname, title, note, base in ring_cells:
        ring = [r for r in select(rows, cell=cellname) if "median_ns" in r]
        if not ring:
            continue
        out.append(f"## {title}")
        out.append("")
        out.append(note)
        out.append("")
        for r in select(notes, cell="frag_keep"):
            if r.get("hole_order") == holes.get(cellname) and "got_mb" in r:
                out.append(f'Memory held by the module: {r.get("kept_mb")} MiB of order-0 pages '
                           f'between free holes of order {r.get("hole_order")}, '
                           f'{r.get("drained_mb")} MiB of free blocks of order '
                           f'{r.get("drain_order")} and up; {r.get("free_mb_after")} MiB left free.')
                out.append("")
        for r in select(notes, cell=cellname):
            if "blocks_total" in r:
                out.append(f'Blocks of {r.get("contender")}: {r.get("virtual_blocks")} virtual, '
                           f'{r.get("vzalloc_blocks")} vzalloc() after a failed fallback, '
                           f'{r.get("contig_blocks")} still contiguous, of {r.get("blocks_total")}.')
                out.append("")
            if "error" in r:
                out.append(f'Error: {r.get("error")}')
                out.append("")
        lines = [[r.get("op"), r.get("contender"), r.get("virtual_blocks", "?"),
                  r["median_ns"].split(".")[0],
                  f'{r["p10_ns"].split(".")[0]}..{r["p90_ns"].split(".")[0]}', ratio(r)]
                 for r in sorted(ring, key=lambda r: (r.get("op", ""), r.get("contender", "")))]
        table(out, ["op", "contender", "virtual blocks", "median (cycles)", "p10..p90",
                    f"ratio vs {base}"], lines)

    return "\n".join(out)


def plot(rows, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("plot.py: matplotlib is not installed (Debian: apt-get install python3-matplotlib);"
              f" no plot written to {path}", file=sys.stderr)
        return False
    panels = [("fallback", "2. Fallback path (policy always): alloc+touch+free",
               ("vcompound", "vcompound_noflush", "vmalloc", "kvmalloc")),
              ("frag", "4. Under fragmentation: one request (all tries)",
               ("plain", "vfallback_late", "vfallback_early", "kvmalloc"))]
    panels = [p for p in panels if select(rows, cell=p[0])]
    if not panels:
        print(f"plot.py: no fallback or frag results: no plot written to {path}", file=sys.stderr)
        return False
    fig, axes = plt.subplots(1, len(panels), figsize=(7 * len(panels), 5), squeeze=False)
    for ax, (cell, title, conts) in zip(axes[0], panels):
        for c in conts:
            rs = sorted(select(rows, cell=cell, contender=c), key=order_key)
            if not rs:
                continue
            x = [int(r["order"]) for r in rs]
            y = [max(num(r["median_ns"], 0), 1e-3) for r in rs]
            lo = [max(yy - num(r["p10_ns"], yy), 0) for yy, r in zip(y, rs)]
            hi = [max(num(r["p90_ns"], yy) - yy, 0) for yy, r in zip(y, rs)]
            label = c
            if c == "kvmalloc" and cell == "fallback":
                label = rs[-1].get("label", "kvmalloc")
            ax.errorbar(x, y, yerr=[lo, hi], marker="o", capsize=3, label=label)
            if cell == "frag":
                for xx, yy, r in zip(x, y, rs):
                    ax.annotate(f"{r.get('success_pct', '?')}%", (xx, yy), fontsize=7,
                                textcoords="offset points", xytext=(3, 3))
        ax.set_yscale("log")
        ax.set_xlabel("order (4 KiB pages: size = 4 KiB << order)")
        ax.set_ylabel("median latency, ns (bars: p10..p90)")
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    return True


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("log")
    ap.add_argument("--md", help="also write the tables to this file")
    ap.add_argument("--png", help="write the plot to this file")
    args = ap.parse_args()

    meta, rows, notes, guest = parse(args.log)
    text = report(meta, rows, notes, guest)
    print(text)
    if args.md:
        with open(args.md, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    if not rows:
        print(f"plot.py: no bench_vcompound results in {args.log}", file=sys.stderr)
        return 1
    if args.png:
        plot(rows, args.png)
    return 0


if __name__ == "__main__":
    sys.exit(main())
