#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes small seed graphs for the FuzzPipeline target (Scripts/fuzz.sh).

The evaluator's kernel fixtures (Tests/GraphEvalTests/Fixtures/*.pb, see
Scripts/kernel_fixtures/generate.py) hold, per case, Placeholders `<case>/input_<i>`, their
values as Consts `<case>/input_<i>/value`, and the op under test `<case>`. Each case becomes
one GraphDef here in which the inputs are the value Consts themselves (renamed to
`<case>/input_<i>`), so fold_constants runs the kernel on them. Cases larger than
--max-bytes are left out: the campaign's -max_len would truncate them.

  Scripts/fuzz_pipeline_seeds.py OUT_DIR [--max-bytes N] FIXTURE.pb ...

Only the standard library: the wire format is read and written by hand.
"""
import hashlib
import os
import sys


def varint(data, pos):
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, pos


def encode_varint(value):
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def fields(data):
    """(number, wire type, raw bytes of the whole field, payload for LEN fields)."""
    pos = 0
    while pos < len(data):
        start = pos
        key, pos = varint(data, pos)
        number, wire = key >> 3, key & 7
        payload = None
        if wire == 0:
            _, pos = varint(data, pos)
        elif wire == 1:
            pos += 8
        elif wire == 5:
            pos += 4
        elif wire == 2:
            length, pos = varint(data, pos)
            payload = data[pos : pos + length]
            pos += length
        else:
            raise ValueError("unsupported wire type %d" % wire)
        yield number, wire, data[start:pos], payload


def length_field(number, body):
    return encode_varint(number << 3 | 2) + encode_varint(len(body)) + body


def main(argv):
    out, max_bytes, paths = None, 4096, []
    args = iter(argv)
    for arg in args:
        if arg == "--max-bytes":
            max_bytes = int(next(args))
        elif out is None:
            out = arg
        else:
            paths.append(arg)
    if out is None:
        sys.exit(__doc__)
    os.makedirs(out, exist_ok=True)
    written = 0
    for path in paths:
        with open(path, "rb") as f:
            graph = f.read()
        nodes = {}  # name -> (op, NodeDef bytes, input names)
        order = []
        for number, _, _, payload in fields(graph):
            if number != 1:
                continue
            name = op = ""
            inputs = []
            for n, _, _, p in fields(payload):
                if n == 1:
                    name = p.decode("utf-8", "replace")
                elif n == 2:
                    op = p.decode("utf-8", "replace")
                elif n == 3:
                    inputs.append(p.decode("utf-8", "replace"))
            nodes[name] = (op, payload, inputs)
            order.append(name)
        for name in order:
            op, payload, inputs = nodes[name]
            if "/" in name or op in ("Placeholder", "Const"):
                continue  # a case's op has the case's bare name
            seed = b""
            for ref in dict.fromkeys(i.lstrip("^").split(":")[0] for i in inputs):
                value = nodes.get(ref + "/value")
                if value is None or value[0] != "Const":
                    continue
                # The value Const, renamed to the Placeholder's name.
                renamed = length_field(1, ref.encode()) + b"".join(
                    raw for n, _, raw, _ in fields(value[1]) if n != 1
                )
                seed += length_field(1, renamed)
            seed += length_field(1, payload)
            if len(seed) > max_bytes:
                continue
            digest = hashlib.sha1(seed).hexdigest()[:16]
            with open(os.path.join(out, "kernel-%s.pb" % digest), "wb") as f:
                f.write(seed)
            written += 1
    print("%d seeds" % written, file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
