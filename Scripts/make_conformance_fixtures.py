#!/usr/bin/env python3
"""Builds the conformance fixtures: small graphs, a table of cases, and TensorFlow's output.

Run with the TensorFlow venv (the tool itself never needs Python):

    ~/.venvs/tf/bin/python Scripts/make_conformance_fixtures.py            # rewrite the fixtures
    ~/.venvs/tf/bin/python Scripts/make_conformance_fixtures.py --out DIR  # write elsewhere
    ~/.venvs/tf/bin/python Scripts/make_conformance_fixtures.py --out DIR --reuse-graphs \
        Tests/GraphCommandsTests/Conformance                               # same inputs, fresh references

It writes, under Tests/GraphCommandsTests/Conformance/ (or --out):
  graphs/<graph>.pb      the input graphs (all small; tf1_classic is make_graphs.py's, copied
                         from examples/)
  references/<case>.pb   what TensorFlow's own engine (TransformGraph, reached through
                         _pywrap_transform_graph) makes of each case
  cases.json             the table: graph, --inputs, --outputs, --transforms, and either the
                         reference file or the error TensorFlow reported

ConformanceTests.swift runs the tool's pipeline on every case and compares node by node.
References are re-serialized deterministically (attrs sorted by key) so that the committed
bytes do not depend on the order of TensorFlow's hash maps; their content is TensorFlow's.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from tensorflow.python.util import _pywrap_transform_graph as _tg  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(REPO, "Tests", "GraphCommandsTests", "Conformance")

# TensorFlow's README deployment recipe starts like this.
DEPLOY = 'strip_unused_nodes(type=float, shape="1,24,24,4") remove_nodes(op=Identity, op=CheckNumerics)'

# ---------------------------------------------------------------------------------------------
# Graphs


def tf1_small():
    """A TF1-style inference graph with the things the simple transforms care about.

    Devices on most nodes (three spellings), an Identity chain on a `split:1` port, a
    CheckNumerics, control dependencies on the inference path and in the initializer, a v1
    cond (Switch/Merge, which sort_by_execution_order counts specially), a Const that the
    cases feed as an extra input (strip_unused_nodes turns it into a Placeholder), `_class`
    colocation attrs, and an unused training branch (labels, loss, summary, global step).
    """
    c = tf.compat.v1
    rng = np.random.default_rng(11)
    c.disable_control_flow_v2()
    c.disable_resource_variables()
    try:
        g = tf.Graph()
        with g.as_default():
            def const(shape, name, lo=-0.5, hi=0.5):
                return tf.constant(rng.uniform(lo, hi, shape).astype("float32"), name=name)

            with g.device("/device:CPU:0"):
                x = c.placeholder(tf.float32, [1, 24, 24, 4], name="input")
                bias = const([4], "bias_input")
                h = tf.add(x, bias, name="preprocess/add")
                h = tf.identity(h, name="preprocess/identity")
                check = c.check_numerics(h, "preprocess produced NaN", name="preprocess/check")
            with g.device("/device:GPU:0"):
                w = const([3, 3, 4, 8], "conv1/weights")
                w_read = tf.identity(w, name="conv1/weights/read")
                h = tf.nn.conv2d(check, w_read, [1, 2, 2, 1], "SAME", name="conv1/Conv2D")
                h = tf.nn.bias_add(h, const([8], "conv1/biases"), name="conv1/BiasAdd")
                h = tf.nn.relu6(h, name="conv1/Relu6")
            with g.device("/job:localhost/replica:0/task:0/device:CPU:0"):
                a, b = tf.split(h, 2, axis=3, name="split")
                b = tf.identity(b, name="branch_b/identity")
                b = tf.identity(b, name="branch_b/identity_1")
                a = tf.nn.relu(a, name="branch_a/relu")
                is_training = c.placeholder_with_default(False, [], name="is_training")
                a = c.cond(is_training, lambda: tf.multiply(a, 0.5), lambda: tf.identity(a), name="dropout")
                h = tf.concat([a, b], axis=3, name="concat")
                h = tf.reduce_mean(h, axis=[1, 2], name="pool")
            with c.control_dependencies([check]):
                h = tf.identity(h, name="pool/checked")
            logits = tf.matmul(h, const([8, 3], "logits/weights"), name="logits/MatMul")
            logits = tf.add(logits, const([3], "logits/bias"), name="logits/add")
            y = tf.nn.softmax(logits, name="probabilities")

            # Training-only: unreachable from the output. `labels` waits on the logits (a
            # Placeholder with a control input), and a v1 while loop (Enter/Merge/NextIteration)
            # counts warm-up steps.
            with c.control_dependencies([logits]):
                labels = c.placeholder(tf.float32, [1, 3], name="labels")
            loss = tf.reduce_mean(tf.square(labels - y), name="loss")
            c.summary.scalar("loss", loss)
            step = c.Variable(0, name="global_step", trainable=False)
            with c.control_dependencies([loss]):
                increment = c.assign_add(step, 1, name="train/increment_step")
            c.while_loop(lambda i: i < 10, lambda i: i + increment, [tf.constant(0)], name="train/warmup")
            c.global_variables_initializer()
        gd = g.as_graph_def()
    finally:
        c.enable_control_flow_v2()
        c.enable_resource_variables()
    # A node without device (the rest keep theirs) and a `_class` attr on an inference node.
    for n in gd.node:
        if n.name == "logits/weights":
            n.device = ""
        if n.name == "conv1/weights/read":
            n.attr["_class"].list.s.append(b"loc:@conv1/weights")
    return gd


def shuffled(gd):
    """The same graph with its nodes in a fixed scrambled order (not topological)."""
    out = tf.compat.v1.GraphDef()
    out.CopyFrom(gd)
    nodes = list(out.node)
    order = np.random.default_rng(3).permutation(len(nodes))
    del out.node[:]
    out.node.extend(nodes[i] for i in order)
    return out


def keras_tiny():
    """A tiny Keras 3 model frozen the TF2 way (convert_variables_to_constants_v2).

    Frozen TF2 graphs carry Identity nodes on every weight, an `Identity` output node and,
    after remove_nodes, `^const` control edges; this is the same shape as the big Keras graphs.
    """
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2
    rng = np.random.default_rng(5)
    layers = tf.keras.layers
    model = tf.keras.Sequential([
        tf.keras.Input([8, 8, 3]),
        layers.Conv2D(4, 3, padding="same", use_bias=False),
        layers.BatchNormalization(),
        layers.ReLU(6.0),
        layers.DepthwiseConv2D(3, padding="same"),
        layers.GlobalAveragePooling2D(),
        layers.Dense(3, activation="softmax"),
    ])
    model.set_weights([rng.uniform(0.5, 1.5, w.shape).astype("float32") for w in model.get_weights()])
    spec = tf.TensorSpec([1, 8, 8, 3], tf.float32, name="input")
    fn = tf.function(lambda x: model(x, training=False)).get_concrete_function(spec)
    return convert_variables_to_constants_v2(fn).graph.as_graph_def()


def build_graphs(tf1_classic_path):
    graphs = {}
    small = tf1_small()
    graphs["tf1_small"] = small.SerializeToString(deterministic=True)
    graphs["tf1_small_shuffled"] = shuffled(small).SerializeToString(deterministic=True)
    graphs["keras_tiny"] = keras_tiny().SerializeToString(deterministic=True)
    with open(tf1_classic_path, "rb") as f:
        graphs["tf1_classic"] = f.read()
    return graphs


# ---------------------------------------------------------------------------------------------
# Cases: (id, graph, --inputs, --outputs, --transforms)

S, SH, K, C = "tf1_small", "tf1_small_shuffled", "keras_tiny", "tf1_classic"
CASES = [
    # strip_unused_nodes
    ("strip_basic", S, "input", "probabilities", 'strip_unused_nodes(type=float, shape="1,24,24,4")'),
    ("strip_const_input", S, "input,bias_input", "probabilities", 'strip_unused_nodes(type=float, shape="1,24,24,4")'),
    ("strip_named_input", S, "input,bias_input", "probabilities",
     'strip_unused_nodes(type=float, shape="1,24,24,4", name=bias_input, type_for_name=half, shape_for_name="4")'),
    ("strip_cut_at_check", S, "preprocess/check", "probabilities", 'strip_unused_nodes(type=float, shape="1,24,24,4")'),
    ("strip_port_output", S, "input", "split:1", 'strip_unused_nodes(type=float, shape="1,24,24,4")'),
    ("strip_two_outputs", S, "input", "probabilities,loss", "strip_unused_nodes"),
    ("strip_defaults_classic", C, "image", "probabilities", "strip_unused_nodes"),
    ("strip_keras", K, "input", "Identity", 'strip_unused_nodes(type=float, shape="1,8,8,3")'),
    ("strip_shuffled", SH, "input", "probabilities", 'strip_unused_nodes(type=float, shape="1,24,24,4")'),
    ("strip_training_branch", S, "labels,probabilities", "loss", 'strip_unused_nodes(type=float, shape="1,3")'),
    ("strip_bad_type_unused", S, "input", "probabilities", 'strip_unused_nodes(type=float33, shape="1,24,24,4")'),
    # the README deployment prefix
    ("deploy_prefix", S, "input", "probabilities", DEPLOY),
    ("deploy_prefix_classic", C, "image", "probabilities", DEPLOY),
    ("deploy_prefix_keras", K, "input", "Identity",
     'strip_unused_nodes(type=float, shape="1,8,8,3") remove_nodes(op=Identity, op=CheckNumerics)'),
    # remove_nodes
    ("remove_identity", S, "input", "probabilities", "remove_nodes(op=Identity)"),
    ("remove_identity_check_shuffled", SH, "input", "probabilities", "remove_nodes(op=Identity, op=CheckNumerics)"),
    ("remove_identity_keras", K, "input", "Identity", "remove_nodes(op=Identity)"),
    ("remove_identity_classic", C, "image", "probabilities", "remove_nodes(op=Identity, op=CheckNumerics)"),
    ("remove_biasadd_max_inputs", S, "input", "probabilities", "remove_nodes(op=BiasAdd, max_inputs=2)"),
    ("remove_protected_output", S, "input", "branch_b/identity_1", "remove_nodes(op=Identity)"),
    ("remove_add_protected_input", S, "input,bias_input", "probabilities", "remove_nodes(op=AddV2, max_inputs=2)"),
    ("remove_split_port1_used", S, "input", "probabilities", "remove_nodes(op=Split, max_inputs=2)"),
    ("remove_max_inputs_zero", S, "input", "probabilities", "remove_nodes(op=Identity, max_inputs=0)"),
    # sort_by_execution_order
    ("sort_shuffled", SH, "", "", "sort_by_execution_order"),
    ("sort_small", S, "input", "probabilities", "sort_by_execution_order"),
    ("sort_classic", C, "image", "probabilities", "sort_by_execution_order"),
    ("sort_keras", K, "input", "Identity", "sort_by_execution_order"),
    # obfuscate_names
    ("obfuscate_small", S, "input", "probabilities", "obfuscate_names"),
    ("obfuscate_classic", C, "image", "probabilities", "obfuscate_names"),
    ("obfuscate_output_port", S, "input", "probabilities:0", "obfuscate_names"),
    ("obfuscate_keras", K, "input", "Identity", "obfuscate_names"),
    # devices
    ("remove_device", S, "input", "probabilities", "remove_device"),
    ("set_device", S, "", "", 'set_device(device="/device:CPU:0")'),
    ("set_device_if_default", S, "", "", 'set_device(device="/device:GPU:1", if_default=true)'),
    # a device is not a bare value (':' needs quotes): both tools reject the string
    ("set_device_unquoted", S, "", "", "set_device(device=/device:CPU:0)"),
    # attributes
    ("remove_attribute_class", S, "", "", "remove_attribute(attribute_name=_class)"),
    ("remove_attribute_conv", C, "", "", "remove_attribute(op_name=Conv2D, attribute_name=use_cudnn_on_gpu)"),
    ("rename_attribute_class", S, "", "", "rename_attribute(old_attribute_name=_class, new_attribute_name=_colocate)"),
    ("rename_attribute_conv", C, "", "",
     "rename_attribute(op_name=Conv2D, old_attribute_name=data_format, new_attribute_name=layout)"),
    ("rename_attribute_existing", S, "", "",
     "rename_attribute(op_name=Placeholder, old_attribute_name=shape, new_attribute_name=dtype)"),
    # ops and nodes
    ("rename_op_relu6", S, "", "", "rename_op(old_op_name=Relu6, new_op_name=Relu)"),
    ("rename_op_mul", C, "", "", "rename_op(old_op_name=Mul, new_op_name=Multiply)"),
    ("rename_node_split", S, "", "", "rename_node(old_node_name=split, new_node_name=demux)"),
    ("rename_node_missing", S, "", "", "rename_node(old_node_name=no_such_node, new_node_name=other)"),
    ("rename_node_taken", S, "", "", "rename_node(old_node_name=split, new_node_name=concat)"),
    ("rename_node_taken_ignored", S, "", "",
     "rename_node(old_node_name=split, new_node_name=concat, ignore_errors=true) remove_device"),
    # control dependencies
    ("remove_control_deps", S, "", "", "remove_control_dependencies"),
    ("remove_control_deps_keras", K, "input", "Identity", "remove_nodes(op=Identity) remove_control_dependencies"),
    # quantize_weights: the nodes, names, order and quint8 codes with their ranges (lossy, so
    # the values are compared code for code, not only run)
    ("quantize_small", S, "input", "probabilities", "quantize_weights(minimum_size=16)"),
    ("quantize_classic", C, "image", "probabilities", "quantize_weights"),
    ("quantize_classic_all", C, "image", "probabilities", "quantize_weights(minimum_size=1)"),
    ("quantize_keras", K, "input", "Identity", "quantize_weights(minimum_size=16)"),
    ("quantize_deploy", S, "input", "probabilities", DEPLOY + " quantize_weights(minimum_size=16)"),
    ("quantize_large_minimum", S, "input", "probabilities", "quantize_weights(minimum_size=100000)"),
    # round_weights: float Consts rounded to num_steps levels
    ("round_small", S, "input", "probabilities", "round_weights"),
    ("round_classic", C, "image", "probabilities", "round_weights(num_steps=256)"),
    ("round_keras", K, "input", "Identity", "round_weights(num_steps=16)"),
    ("round_deploy", S, "input", "probabilities", DEPLOY + " round_weights(num_steps=4)"),
    # a whole deployment pipeline
    ("full_pipeline", S, "input", "probabilities",
     DEPLOY + " remove_control_dependencies remove_device sort_by_execution_order obfuscate_names"),
    ("full_pipeline_classic", C, "image", "probabilities",
     DEPLOY + ' set_device(device="/device:CPU:0") rename_op(old_op_name=Relu6, new_op_name=Relu)'
     " sort_by_execution_order obfuscate_names"),
]


def run_case(graph_bytes, inputs, outputs, transforms):
    """TensorFlow's output (deterministically re-serialized), or (None, error message)."""
    try:
        out = _tg.TransformGraphWithStringInputs(graph_bytes, inputs.encode(), outputs.encode(), transforms.encode())
    except Exception as e:  # the wrapper raises the transform's Status as an exception
        return None, str(e)
    gd = tf.compat.v1.GraphDef()
    gd.ParseFromString(out)
    return gd.SerializeToString(deterministic=True), None


def find_tf1_classic(explicit):
    # make_graphs.py output is not reproducible run to run (random weights), so the default is
    # the copy the repository already holds (examples/), which is make_graphs.py's.
    candidates = [explicit] if explicit else [
        os.path.join(REPO, "examples", "tf1_classic.pb"),
        os.path.join(DEFAULT_OUT, "graphs", "tf1_classic.pb"),
    ]
    for path in candidates:
        if path and os.path.exists(path):
            return path
    sys.exit("tf1_classic.pb not found; pass --tf1-classic (make_graphs.py OUTDIR tf1_classic makes one)")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=DEFAULT_OUT, help="fixture directory to (re)write")
    ap.add_argument("--reuse-graphs", metavar="DIR",
                    help="take the input graphs from DIR/graphs instead of building them")
    ap.add_argument("--tf1-classic", help="tf1_classic.pb to copy (default: examples/tf1_classic.pb)")
    a = ap.parse_args()

    if a.reuse_graphs:
        graphs = {}
        for name in sorted({case[1] for case in CASES}):
            with open(os.path.join(a.reuse_graphs, "graphs", name + ".pb"), "rb") as f:
                graphs[name] = f.read()
    else:
        graphs = build_graphs(find_tf1_classic(a.tf1_classic))

    # Write into a fresh directory, then swap it in, so stale references never linger.
    parent = os.path.dirname(os.path.abspath(a.out))
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".conformance-", dir=parent)
    os.chmod(staging, 0o755)
    try:
        os.makedirs(os.path.join(staging, "graphs"))
        os.makedirs(os.path.join(staging, "references"))
        for name, data in graphs.items():
            with open(os.path.join(staging, "graphs", name + ".pb"), "wb") as f:
                f.write(data)
        table = []
        for case_id, graph, inputs, outputs, transforms in CASES:
            ref, error = run_case(graphs[graph], inputs, outputs, transforms)
            entry = {"id": case_id, "graph": graph, "inputs": inputs, "outputs": outputs, "transforms": transforms}
            if error is not None:
                entry["error"] = error
            else:
                entry["reference"] = "references/%s.pb" % case_id
                with open(os.path.join(staging, entry["reference"]), "wb") as f:
                    f.write(ref)
                gd = tf.compat.v1.GraphDef()
                gd.ParseFromString(ref)
                entry["reference_nodes"] = len(gd.node)
            table.append(entry)
            print("%-32s %-20s %s" % (case_id, graph, ("ERROR " + error) if error else "%d nodes" % entry["reference_nodes"]))
        with open(os.path.join(staging, "cases.json"), "w") as f:
            json.dump({"tensorflow": tf.__version__,
                       "generator": "Scripts/make_conformance_fixtures.py",
                       "cases": table}, f, indent=1)
            f.write("\n")
        if os.path.exists(a.out):
            shutil.rmtree(a.out)
        os.rename(staging, a.out)
    finally:
        if os.path.exists(staging):
            shutil.rmtree(staging)
    total = sum(os.path.getsize(os.path.join(d, n)) for d, _, ns in os.walk(a.out) for n in ns)
    print("wrote %d cases, %d graphs, %d bytes to %s" % (len(table), len(graphs), total, a.out))


main()
