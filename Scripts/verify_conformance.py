#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Checks this tool's interpreter and --verify against TensorFlow's runtime.

  interpreter  runs GRAPH in TensorFlow on one seeded feed, then `compare_graphs` with TF's
               outputs as the "original" (a graph of Consts named after the outputs) and
               GRAPH as the "transformed" graph on the same feed (--input_values): our
               interpreter must match TensorFlow within --tolerance (relative, as
               tf_reference.py measures it).
  measure      OURS is GRAPH transformed by this tool. TensorFlow runs both on the feed and
               measures the relative error; `compare_graphs` measures it with the interpreter
               on the same feed. The two measurements must agree within 10% (+1e-6).

Prints one line "ok|detail" or "FAIL|detail" for Scripts/conformance.sh.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from tensorflow.core.framework import graph_pb2  # noqa: E402


def load(path):
    graph = graph_pb2.GraphDef()
    with open(path, "rb") as f:
        graph.ParseFromString(f.read())
    return graph


# feed_for and rel_err restate tf_reference.py's rather than import them: that script runs
# its main() on import, and its rel_err answers inf for any NaN, where this script must
# measure the finite part as `--verify` does.
def feed_for(graph, inputs, shape, seed=0):
    """The feed tf_reference.py uses: uniform [-1, 1) floats, integers in [0, 100)."""
    rng = np.random.default_rng(seed)
    nodes = {n.name: n for n in graph.node}
    feed = {}
    for name in inputs:
        dtype = tf.dtypes.as_dtype(nodes[name].attr["dtype"].type).as_numpy_dtype
        dims = shape if shape else [max(1, d.size) for d in nodes[name].attr["shape"].shape.dim]
        if np.issubdtype(dtype, np.integer):
            feed[name] = rng.integers(0, 100, dims).astype(dtype)
        else:
            feed[name] = rng.uniform(-1, 1, dims).astype(dtype)
    return feed


def run(graph, feed, outputs):
    g = tf.Graph()
    with g.as_default():
        tf.compat.v1.import_graph_def(graph, name="")
    with tf.compat.v1.Session(graph=g) as session:
        fetched = session.run([o + ":0" for o in outputs], {k + ":0": v for k, v in feed.items()})
    return [np.asarray(r) for r in fetched]


def consts(values, path):
    """A GraphDef of Consts named after `values`' keys: the --input_values format."""
    graph = graph_pb2.GraphDef()
    for name, value in values.items():
        node = graph.node.add(name=name, op="Const")
        node.attr["dtype"].type = tf.dtypes.as_dtype(value.dtype).as_datatype_enum
        node.attr["value"].tensor.CopyFrom(tf.make_tensor_proto(value))
    with open(path, "wb") as f:
        f.write(graph.SerializeToString())


def rel_err(reference, got):
    """tf_reference.py's measure: max |a - b| over the largest |a|, over all outputs."""
    worst = 0.0
    for a, b in zip(reference, got):
        a, b = a.astype(np.float64), b.astype(np.float64)
        finite = np.isfinite(a) & np.isfinite(b)
        if finite.any():
            worst = max(worst, float(np.max(np.abs(a - b)[finite])) / max(1e-6, float(np.max(np.abs(a[finite])))))
    return worst


def compare_graphs(args, original, transformed, feeds_path, tolerance, work):
    report = os.path.join(work, "compare.json")
    command = [os.path.join(args.bin, "compare_graphs"), "--original=" + original, "--transformed=" + transformed,
               "--inputs=" + ",".join(args.inputs), "--outputs=" + ",".join(args.outputs),
               "--input_values=" + feeds_path, "--verify_tolerance=%g" % tolerance, "--report=" + report, "--quiet"]
    result = subprocess.run(command, capture_output=True, text=True)
    verify = json.load(open(report))["verify"] if os.path.exists(report) else None
    return result, verify


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["interpreter", "measure"])
    parser.add_argument("--bin", required=True)
    parser.add_argument("--graph", required=True)
    parser.add_argument("--ours")
    parser.add_argument("--inputs", required=True, type=lambda s: s.split(","))
    parser.add_argument("--outputs", required=True, type=lambda s: s.split(","))
    parser.add_argument("--shape", type=lambda s: [int(d) for d in s.split(",")] if s else None)
    parser.add_argument("--tolerance", type=float, default=1e-4)
    args = parser.parse_args()

    graph = load(args.graph)
    feed = feed_for(graph, args.inputs, args.shape)
    with tempfile.TemporaryDirectory() as work:
        feeds_path = os.path.join(work, "feeds.pb")
        consts(feed, feeds_path)
        expected = run(graph, feed, args.outputs)
        if args.mode == "interpreter":
            expected_path = os.path.join(work, "expected.pb")
            consts(dict(zip(args.outputs, expected)), expected_path)
            result, verify = compare_graphs(args, expected_path, args.graph, feeds_path, args.tolerance, work)
            if result.returncode != 0 or verify is None:
                print("FAIL|compare_graphs exit %d: %s" % (result.returncode, (result.stderr.strip().splitlines() or ["?"])[-1][:300]))
                return
            err = max(o["max_rel_error"] for o in verify["outputs"])
            seconds = verify["transformed_seconds"]
            print("ok|interpreter vs TensorFlow: max rel err %.2g (tolerance %g), %.2f s" % (err, args.tolerance, seconds))
            return
        # measure
        ours_err_tf = rel_err(expected, run(load(args.ours), feed, args.outputs))
        result, verify = compare_graphs(args, args.graph, args.ours, feeds_path, 1e30, work)
        if verify is None:
            print("FAIL|compare_graphs exit %d: %s" % (result.returncode, (result.stderr.strip().splitlines() or ["?"])[-1][:300]))
            return
        ours_err = max(o["max_rel_error"] for o in verify["outputs"])
        close = abs(ours_err - ours_err_tf) <= 0.1 * ours_err_tf + 1e-6
        detail = "interpreter measures %.4g, TensorFlow's runtime %.4g" % (ours_err, ours_err_tf)
        print(("ok|" if close else "FAIL|not within 10%: ") + detail)


if __name__ == "__main__":
    sys.exit(main())
