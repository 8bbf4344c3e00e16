#!/usr/bin/env python3
"""Builds the fixtures for QuantizeWeightsTests and RoundWeightsTests from TensorFlow itself.

Run with the TensorFlow venv (the tool itself never needs Python):

    ~/.venvs/tf/bin/python Tests/GraphTransformsTests/Fixtures/make_weight_fixtures.py

It writes, next to itself:
  weights.pb                       a graph of float Consts: ordinary weight-like tensors (the
                                   ones the tests require bit-exact agreement on) and the
                                   degenerate ones (all zero, constant, all negative, one
                                   element, NaN, infinity, a range whose zero TensorFlow gets
                                   wrong)
  weights.quantize_weights.pb      TensorFlow's quantize_weights(minimum_size=1) of it
  weights.tf_dequantized.pb        what TensorFlow's runtime computes for each Dequantize of
                                   that output: float Consts named like the originals, so the
                                   tests can check the model of Dequantize bit for bit, and
                                   see where TensorFlow's own zero is not zero
  weights.round_weights.pb         TensorFlow's round_weights (num_steps=256)
  weights.round_weights_7.pb       TensorFlow's round_weights(num_steps=7)

Everything is seeded, so rerunning gives the same inputs; TensorFlow's version is recorded
in the graph's `versions.producer` of each output (and printed).
"""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from tensorflow.python.util import _pywrap_transform_graph as _tg  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
f32 = np.float32


def ordinary(rng):
    """Weight-like tensors; names start with `ordinary_`."""
    tensors = []
    for i, scale in enumerate([1e-3, 0.02, 0.05, 0.3, 1.0, 30.0]):
        tensors.append((f"ordinary_normal_{i}", rng.normal(0, scale, (3, 3, 4, 4))))
    tensors.append(("ordinary_shifted", rng.normal(0.2, 0.1, (96,))))
    tensors.append(("ordinary_laplace", rng.laplace(0, 0.01, (8, 24))))
    tensors.append(("ordinary_uniform_mixed", rng.uniform(-0.7, 2.5, (128,))))
    # TensorFlow's RangesAlwaysIncludeZero weights: all positive, 0.1…4.
    tensors.append(("ordinary_positive", np.tile([1, 2, 3, 4, 0.1, 0.2, 0.3, 0.4], 5).reshape(1, 2, 2, 10)))
    # Pruned-like: half exact zeros.
    pruned = rng.normal(0, 0.05, (160,))
    pruned[rng.random(160) < 0.5] = 0
    tensors.append(("ordinary_half_zero", pruned))
    tensors.append(("ordinary_negative_zero", np.where(rng.random(64) < 0.2, -0.0, rng.normal(0, 1, 64))))
    return tensors


def degenerate():
    """The cases issue 3 names; names start with `degenerate_`."""
    # A constant whose TensorFlow range does not give it back exactly (found by search).
    inexact = f32(0)
    for candidate in np.random.default_rng(5).uniform(0.01, 10, 20000).astype(f32):
        s = f32(np.float64(candidate) / 255.0)
        if f32(f32(255) * s) != candidate:
            inexact = candidate
            break
    # A range [min, max] whose minimum sits on a half step, so that TensorFlow's quantizer and
    # Dequantize disagree about the code of 0.0 (from a search like MinFirstRangeTests').
    tie = np.array([-7.271806e-06, 0.0037013495, 0.0, 0.001, -0.000001, 0.002] * 4, dtype=f32)
    nan = np.linspace(-1, 1, 32).astype(f32)
    nan[[3, 17]] = np.nan
    inf = np.linspace(-2, 3, 32).astype(f32)
    inf[5] = np.inf
    inf[9] = -np.inf
    return [
        ("degenerate_all_zero", np.zeros(32)),
        ("degenerate_constant_positive", np.full(32, 0.3)),
        ("degenerate_constant_inexact", np.full(32, inexact)),
        ("degenerate_constant_negative", np.full(32, -2.5)),
        ("degenerate_all_negative", -np.linspace(1, 4, 32)),
        ("degenerate_one_element", np.array([0.7])),
        ("degenerate_one_negative_element", np.array([-1.3])),
        ("degenerate_nan", nan),
        ("degenerate_infinity", inf),
        ("degenerate_zero_tie", tie),
    ]


def graph_of(tensors):
    g = tf.compat.v1.GraphDef()
    g.versions.producer = 1087
    for name, values in tensors:
        n = g.node.add()
        n.name = name
        n.op = "Const"
        n.attr["dtype"].type = tf.float32.as_datatype_enum
        n.attr["value"].tensor.CopyFrom(tf.make_tensor_proto(np.asarray(values, dtype=f32)))
    return g


def transform(graph, names, spec):
    out = _tg.TransformGraphWithStringInputs(
        graph.SerializeToString(), b"", ",".join(names).encode(), spec.encode())
    result = tf.compat.v1.GraphDef()
    result.ParseFromString(out)
    return result


def write(graph, name):
    # Attributes sorted by key, so the bytes do not depend on TensorFlow's map order.
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(graph.SerializeToString(deterministic=True))
    print("wrote", name, len(graph.node), "nodes")


def dequantized(quantized, names):
    """TensorFlow's runtime output for each Dequantize, as float Consts."""
    g = tf.Graph()
    with g.as_default():
        tf.compat.v1.import_graph_def(quantized, name="")
    with tf.compat.v1.Session(graph=g) as session:
        values = session.run([name + ":0" for name in names])
    return graph_of(list(zip(names, values)))


def main():
    rng = np.random.default_rng(20261122)
    tensors = ordinary(rng) + degenerate()
    names = [name for name, _ in tensors]
    source = graph_of(tensors)
    write(source, "weights.pb")
    quantized = transform(source, names, "quantize_weights(minimum_size=1)")
    write(quantized, "weights.quantize_weights.pb")
    write(dequantized(quantized, names), "weights.tf_dequantized.pb")
    write(transform(source, names, "round_weights"), "weights.round_weights.pb")
    write(transform(source, names, "round_weights(num_steps=7)"), "weights.round_weights_7.pb")
    print("TensorFlow", tf.__version__)


main()
