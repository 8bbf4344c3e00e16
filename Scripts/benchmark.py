#!/usr/bin/env python3
"""Times transform_graph beside cp and TensorFlow's own engine; prints a Markdown table.

Each command runs in a fresh process, REPEAT times; the table shows the median wall time
and the peak resident set size (ru_maxrss of the child), with the input already in the
page cache (one untimed warm-up run first). Before every run the output file is removed
and `sync` flushes dirty pages (untimed), so that each command writes a new file under
the same conditions: on this kind of VM disk, writeback of earlier runs otherwise
throttles whichever command comes next by several hundred milliseconds.

Usage: Scripts/benchmark.py GRAPH INPUTS OUTPUTS SHAPE [--tf PYTHON]
  --tf PYTHON   also time TensorFlow's engine (read + transform + write) with that
                interpreter (needs tensorflow-cpu); its memory is reported as growth over
                the interpreter's baseline after importing TensorFlow.
"""
import argparse, os, resource, subprocess, sys, tempfile, time

REPEAT = 5


def fresh(out):
    """Removes the output and flushes dirty pages, outside the timed region."""
    for path in (out, out + ".tf"):
        if os.path.exists(path):
            os.remove(path)
    os.sync()


def run(cmd, out):
    """Median wall time and peak RSS (bytes) of `cmd` over REPEAT runs after a warm-up."""
    fresh(out)
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    times, peak = [], 0
    for _ in range(REPEAT):
        fresh(out)
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        if status != 0:
            sys.exit(f"command failed: {' '.join(cmd)}")
        times.append(elapsed)
        peak = max(peak, usage.ru_maxrss * 1024)
    return sorted(times)[len(times) // 2], peak


TF_SNIPPET = r"""
import os, resource, sys, time
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
from tensorflow.python.util import _pywrap_transform_graph as tg
def rss():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
base = rss()
start = time.perf_counter()
data = open(sys.argv[1], "rb").read()
out = tg.TransformGraphWithStringInputs(data, sys.argv[2].encode(), sys.argv[3].encode(), sys.argv[4].encode())
open(sys.argv[5], "wb").write(out)
print(time.perf_counter() - start, rss() - base)
"""


def run_tf(python, graph, inputs, outputs, transforms, out):
    best, growth = float("inf"), 0
    for _ in range(3):
        fresh(out)
        res = subprocess.run([python, "-c", TF_SNIPPET, graph, inputs, outputs, transforms, out + ".tf"],
                             check=True, capture_output=True, text=True)
        seconds, grown = res.stdout.split()[-2:]
        best = min(best, float(seconds))
        growth = max(growth, int(grown))
    return best, growth


def mb(n):
    return f"{n / 1e6:.0f} MB"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("graph"); ap.add_argument("inputs"); ap.add_argument("outputs"); ap.add_argument("shape")
    ap.add_argument("--tf")
    ap.add_argument("--bin", default=".build/release")
    a = ap.parse_args()
    size = os.path.getsize(a.graph)
    tmp = tempfile.mkdtemp()
    out = os.path.join(tmp, "out.pb")
    tool = os.path.join(a.bin, "transform_graph")
    rows = []
    t, m = run(["cp", a.graph, out], out)
    rows.append(("`cp`", "-", t, m, None))
    cases = [("remove_device", "remove_device"),
             ("strip_unused_nodes", f'strip_unused_nodes(type=float, shape="{a.shape}")')]
    for label, spec in cases:
        t, m = run([tool, f"--in_graph={a.graph}", f"--out_graph={out}", f"--inputs={a.inputs}",
                    f"--outputs={a.outputs}", f"--transforms={spec}", "--quiet"], out)
        tf = run_tf(a.tf, a.graph, a.inputs, a.outputs, spec, out + ".tf") if a.tf else None
        rows.append((f"`transform_graph` {label}", spec, t, m, tf))
    print(f"Graph: `{os.path.basename(a.graph)}`, {size:,} bytes; median of {REPEAT} warm runs, each writing a new file after `sync`.\n")
    print("| command | wall time | peak RSS | vs `cp` time | RSS target (2x file + 64 MB) | TensorFlow engine: time, memory growth |")
    print("|---|---|---|---|---|---|")
    cp_time = rows[0][2]
    for name, _, t, m, tf in rows:
        target = "" if name == "`cp`" else ("met" if m <= 2 * size + 64e6 else "MISSED") + f" ({mb(2 * size + 64e6)})"
        tfcol = f"{tf[0]:.3f} s, +{mb(tf[1])}" if tf else ""
        print(f"| {name} | {t:.3f} s | {mb(m)} | {t / cp_time:.1f}x | {target} | {tfcol} |")


main()
