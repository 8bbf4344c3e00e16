#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the evaluator's kernel fixtures from TensorFlow's own kernels.

Each family module (elementwise.py, shape.py, ...) defines CASES, a list of Case. For
every case this writes, into Tests/GraphEvalTests/Fixtures/<family>.pb (a GraphDef):

  <case>/input_<i>        Placeholder (unknown shape) for each tensor argument
  <case>/input_<i>/value  Const holding that argument's value
  <case>                  the op under test, built by tf.raw_ops in graph mode, so the
                          NodeDef carries exactly the attributes TensorFlow writes
  <case>/expected_<k>     Const holding output k as TensorFlow's eager kernel computed it
  <case>/expected_error   Const string with TensorFlow's error message, when it failed

Placeholders of unknown shape keep graph construction from rejecting the cases that are
meant to fail. Run with the TensorFlow venv:
  ~/.venvs/tf/bin/python Scripts/kernel_fixtures/generate.py [family ...]
"""
import importlib
import re
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(ROOT, "Tests", "GraphEvalTests", "Fixtures")
FAMILIES = ["elementwise", "elementwise_more", "shape", "reduction", "linear_algebra"]


class Case:
    """One kernel call: op name, tensor arguments (np arrays, or lists of them for list
    inputs), and non-tensor attributes, all by tf.raw_ops keyword."""

    def __init__(self, name, op, tensors, attrs=None):
        self.name = name
        self.op = op
        self.tensors = tensors  # dict: keyword -> np.ndarray | list[np.ndarray]
        self.attrs = attrs or {}


def _flatten(result):
    if isinstance(result, (list, tuple)):
        out = []
        for item in result:
            out.extend(_flatten(item))
        return out
    return [result]


def run_eagerly(case):
    """TensorFlow's outputs for the case, or its error message."""
    args = {}
    for key, value in case.tensors.items():
        if isinstance(value, list):
            args[key] = [tf.constant(np.asarray(v)) for v in value]
        else:
            args[key] = tf.constant(np.asarray(value))
    try:
        with tf.device("/cpu:0"):
            result = getattr(tf.raw_ops, case.op)(**args, **case.attrs)
        return [t.numpy() for t in _flatten(result) if t is not None], None
    except (tf.errors.OpError, ValueError, TypeError) as error:
        message = getattr(error, "message", str(error)).splitlines()[0]
        # Drop the eager wrapper's "{{function_node ...}} " prefix and " [Op:X] name: " tail.
        message = re.sub(r"^\{\{[^}]*\}\}\s*", "", message)
        return None, re.sub(r"\s*\[Op:[^\]]*\].*$", "", message)


def build(cases):
    results = [run_eagerly(case) for case in cases]
    graph = tf.Graph()
    seen = set()
    with graph.as_default():
        for case, (outputs, error) in zip(cases, results):
            assert case.name not in seen, f"duplicate case name {case.name}"
            seen.add(case.name)
            index = 0
            graph_args = {}
            for key, value in case.tensors.items():
                values = value if isinstance(value, list) else [value]
                placeholders = []
                for array in values:
                    array = np.asarray(array)
                    name = f"{case.name}/input_{index}"
                    placeholders.append(tf.compat.v1.placeholder(tf.as_dtype(array.dtype), shape=None, name=name))
                    tf.constant(array, name=f"{name}/value")
                    index += 1
                graph_args[key] = placeholders if isinstance(value, list) else placeholders[0]
            getattr(tf.raw_ops, case.op)(name=case.name, **graph_args, **case.attrs)
            if error is not None:
                tf.constant(error.encode(), name=f"{case.name}/expected_error")
            else:
                for k, value in enumerate(outputs):
                    tf.constant(value, name=f"{case.name}/expected_{k}")
    return graph.as_graph_def()


def main(argv):
    families = argv or FAMILIES
    sys.path.insert(0, HERE)
    os.makedirs(OUT, exist_ok=True)
    for family in families:
        module = importlib.import_module(family)
        graph_def = build(module.CASES)
        path = os.path.join(OUT, f"{family}.pb")
        with open(path, "wb") as f:
            f.write(graph_def.SerializeToString(deterministic=True))
        print(f"{path}: {len(module.CASES)} cases, {len(graph_def.node)} nodes")


if __name__ == "__main__":
    main(sys.argv[1:])
