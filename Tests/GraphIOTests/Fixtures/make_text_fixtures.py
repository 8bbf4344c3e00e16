# Regenerates the text-format fixtures of TextFormatTests with TensorFlow's own writers.
# Run once with a TensorFlow install:  python make_text_fixtures.py <out_dir> [tf1_classic.pb]
# Each graph is written twice: as text by tf.io.write_graph (which sorts map entries by
# key) and as binary with deterministic serialization, so the pair matches field for
# field and byte for byte. Only the pure-Python protobuf runtime sorts map entries by key
# when serializing deterministically (upb, the default, uses another order), hence the
# environment variable, which must be set before protobuf is imported.
import os
import sys

os.environ["PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION"] = "python"

import numpy as np
import tensorflow as tf


def write_pair(graph_def, name):
    tf.io.write_graph(graph_def, out, name + ".pbtxt", as_text=True)
    with open(f"{out}/{name}.pb", "wb") as f:
        f.write(graph_def.SerializeToString(deterministic=True))


out = sys.argv[1]
os.makedirs(out, exist_ok=True)
tf1 = tf.compat.v1

# A small TF1 graph: Placeholder, Consts (tensor_content, float_val, int_val, string_val),
# MatMul, Conv2D, Reshape, and a string constant with bytes that need escaping.
g = tf.Graph()
with g.as_default():
    rng = np.random.default_rng(7)
    x = tf1.placeholder(tf.float32, shape=[None, 4, 4, 2], name="input")
    w = tf.constant(rng.standard_normal((3, 3, 2, 3)).astype(np.float32), name="conv_weights")
    conv = tf.nn.conv2d(x, w, strides=[1, 1, 1, 1], padding="SAME", name="conv")
    flat = tf.reshape(conv, [-1, 48], name="flatten")
    m = tf.constant(rng.standard_normal((48, 2)).astype(np.float32), name="matmul_weights")
    y = tf.matmul(flat, m, name="matmul")
    b = tf.constant([0.5, -1.25], dtype=tf.float32, name="bias")
    out_t = tf.nn.bias_add(y, b, name="output")
    tf.constant(7, dtype=tf.int64, name="scalar_int64")
    tf.constant(["a\n\"b'", "\u00e9\x00\x7f"], name="strings")
    tf.constant(True, name="flag")
    tf.constant(np.array([1.5, float("inf"), float("-inf")], np.float64), name="doubles")
    tf1.placeholder(tf.int32, shape=None, name="unknown_rank")
gd = g.as_graph_def()
write_pair(gd, "text_small_tf1")

# A graph with a function library (a nested tf.function).
@tf.function
def inner(v):
    return v * 2.0 + 1.0

@tf.function(input_signature=[tf.TensorSpec([2], tf.float32)])
def outer(v):
    return inner(v) - 3.0

fd = outer.get_concrete_function().graph.as_graph_def()
write_pair(fd, "text_with_library")

if len(sys.argv) > 2:
    real = tf1.GraphDef()
    real.ParseFromString(open(sys.argv[2], "rb").read())
    write_pair(real, "text_tf1_classic")
