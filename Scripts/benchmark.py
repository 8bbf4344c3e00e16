#!/usr/bin/env python3
"""Times transform_graph beside cp and TensorFlow's own engine; prints a Markdown table.

The commands run round-robin in fresh processes (one untimed warm-up round, then REPEAT
timed rounds); the table shows the median (and best) wall time, the median CPU time and
the peak resident set size (ru_maxrss of the child), with the input in the page cache.
For transform_graph it also shows the time inside the process from reading to written
(`total_seconds` of `--report`, from REPEAT more runs): the span TensorFlow's column
measures, which leaves out process start and exit.
Before every run the output file is removed and `sync` flushes dirty pages (untimed), so
that each command writes a new file under the same conditions: on this kind of VM disk,
writeback of earlier runs otherwise throttles whichever command comes next by up to a few
hundred milliseconds, and interleaving spreads the remaining drift evenly.

Usage: Scripts/benchmark.py GRAPH INPUTS OUTPUTS SHAPE [--tf PYTHON] [--case LABEL=TRANSFORMS]...
                            [--command LABEL=ARGV]...
  --tf PYTHON    also time TensorFlow's engine (read + transform + write) with that
                 interpreter (needs tensorflow-cpu); its memory is reported as growth over
                 the interpreter's baseline after importing TensorFlow.
  --case         a transform_graph pipeline to time (repeatable); default: remove_device
                 and strip_unused_nodes. Extra flags may follow the pipeline after " ;; ",
                 e.g. --case 'q=quantize_weights ;; --gzip_size'.
  --command      any other command to time (repeatable), split on spaces; {in} and {out}
                 stand for the graph and the output file. No TensorFlow column.
"""
import argparse, json, os, subprocess, sys, tempfile, time

REPEAT = 9


def fresh(out):
    """Removes the output and flushes dirty pages, outside the timed region."""
    for path in (out, out + ".tf"):
        if os.path.exists(path):
            os.remove(path)
    os.sync()


def measure_all(commands, out):
    """Runs the commands round-robin, REPEAT rounds after one warm-up round, so that
    every command meets the same disk conditions. Returns, per command, the median wall
    time, the median CPU time (user + system), the peak RSS in bytes and the best wall
    time (TensorFlow's column is a best of 3, and on a shared VM the median drifts by
    several milliseconds from one batch to the next)."""
    results = [([], [], 0) for _ in commands]
    for round_ in range(REPEAT + 1):
        for index, cmd in enumerate(commands):
            fresh(out)
            start = time.perf_counter()
            proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            _, status, usage = os.wait4(proc.pid, 0)
            elapsed = time.perf_counter() - start
            if status != 0:
                sys.exit(f"command failed: {' '.join(cmd)}")
            if round_ == 0:
                continue
            walls, cpus, peak = results[index]
            walls.append(elapsed)
            cpus.append(usage.ru_utime + usage.ru_stime)
            results[index] = (walls, cpus, max(peak, usage.ru_maxrss * 1024))
    median = lambda xs: sorted(xs)[len(xs) // 2]
    return [(median(w), median(c), p, min(w)) for w, c, p in results]


def in_process(command, out, report):
    """Median and best `total_seconds` of REPEAT runs with `--report`: read, transform and
    write inside the process. With --quiet and a binary output the report costs no extra
    encoding pass for a one-step pipeline (the last step's size is the written file's)."""
    seconds = []
    for _ in range(REPEAT):
        fresh(out)
        subprocess.run(command + [f"--report={report}"], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        with open(report) as f:
            seconds.append(json.load(f)["total_seconds"])
    return sorted(seconds)[len(seconds) // 2], min(seconds)


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
    ap.add_argument("--case", action="append", default=[])
    ap.add_argument("--command", action="append", default=[])
    a = ap.parse_args()
    size = os.path.getsize(a.graph)
    tmp = tempfile.mkdtemp()
    out = os.path.join(tmp, "out.pb")
    tool = os.path.join(a.bin, "transform_graph")
    cases = [tuple(c.split("=", 1)) for c in a.case] or [
        ("remove_device", "remove_device"),
        ("strip_unused_nodes", f'strip_unused_nodes(type=float, shape="{a.shape}")')]
    commands = [["cp", a.graph, out]]
    for _, spec in cases:
        pipeline, _, extra = spec.partition(" ;; ")
        commands.append([tool, f"--in_graph={a.graph}", f"--out_graph={out}", f"--inputs={a.inputs}",
                         f"--outputs={a.outputs}", f"--transforms={pipeline}", "--quiet"] + extra.split())
    others = [tuple(c.split("=", 1)) for c in a.command]
    for _, argv in others:
        commands.append([w.replace("{in}", a.graph).replace("{out}", out) for w in argv.split()])
    measured = measure_all(commands, out)
    rows = [("`cp`", measured[0], None, None)]
    report = os.path.join(tmp, "report.json")
    for (label, spec), result, command in zip(cases, measured[1:], commands[1:]):
        pipeline = spec.partition(" ;; ")[0]
        inside = in_process(command, out, report)
        tf = run_tf(a.tf, a.graph, a.inputs, a.outputs, pipeline, out) if a.tf else None
        rows.append((f"`transform_graph` {label}", result, inside, tf))
    for (label, _), result in zip(others, measured[1 + len(cases):]):
        rows.append((label, result, None, None))
    print(f"Graph: `{os.path.basename(a.graph)}`, {size:,} bytes; medians of {REPEAT} rounds, commands interleaved,")
    print("each run writing a new file after an untimed `sync`.\n")
    print("| command | wall time (best) | in process: read to written (best) | CPU time | peak RSS | wall vs `cp` "
          "| RSS vs target (2x file + 64 MB) | TensorFlow engine: time, memory growth |")
    print("|---|---|---|---|---|---|---|---|")
    cp_time = rows[0][1][0]
    for name, (wall, cpu, peak, best), inside, tf in rows:
        target = "" if name == "`cp`" else ("met" if peak <= 2 * size + 64e6 else "MISSED") + f" ({mb(2 * size + 64e6)})"
        insidecol = f"{inside[0]:.4f} s ({inside[1]:.4f} s)" if inside else ""
        tfcol = f"{tf[0]:.3f} s, +{mb(tf[1])}" if tf else ""
        print(f"| {name} | {wall:.4f} s ({best:.4f} s) | {insidecol} | {cpu:.3f} s | {mb(peak)} | {wall / cp_time:.1f}x "
              f"| {target} | {tfcol} |")


main()
