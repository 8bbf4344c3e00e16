# SPDX-License-Identifier: Apache-2.0
"""Kernel fixture cases for Kernels/ElementwiseMore.swift and ReductionSoftmax.swift; see
generate.py.

Rounding (halfway values), sign, activations and transcendental functions over float32
and float64 with NaN, infinities and empty tensors; the integer kernels TensorFlow has
(Round, Sign, TruncateDiv/Mod, AddN, ClipByValue); and the inputs TensorFlow rejects.
Softmax cases stay finite: TensorFlow's oneDNN softmax treats NaN and infinite logits in
ways no simple formula reproduces. Float inputs avoid subnormals, as elsewhere.
"""
import numpy as np

from generate import Case

f32, f64 = np.float32, np.float64
i8, i16, i32, i64 = np.int8, np.int16, np.int32, np.int64
u8, u16, u32, u64 = np.uint8, np.uint16, np.uint32, np.uint64
nan, inf = np.nan, np.inf

FLOATS = [("f32", f32), ("f64", f64)]
REALS = FLOATS + [("i8", i8), ("i16", i16), ("i32", i32), ("i64", i64),
                  ("u8", u8), ("u16", u16), ("u32", u32), ("u64", u64)]


def a(values, dtype):
    return np.array(values, dtype=dtype)


def unary(name, op, x, key="x", attrs=None):
    return Case(name, op, {key: x}, attrs)


def binary(name, op, x, y):
    return Case(name, op, {"x": x, "y": y})


def clip(name, t, lo, hi):
    return Case(name, "ClipByValue", {"t": t, "clip_value_min": lo, "clip_value_max": hi})


CASES = []

# Float unary ops over both float types: ordinary values, specials, empty, scalar.
HALVES = [0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 3.5, -3.5, 0.49999997, 1e7 + 0.5, 4.4, -4.6]
SPECIALS = [nan, inf, -inf, 0.0, -0.0]
FLOAT_OPS = [
    ("Floor", "floor", "x", [-2.5, -1.0, -0.3, 0.3, 1.0, 2.7, 1e20]),
    ("Ceil", "ceil", "x", [-2.5, -1.0, -0.3, 0.3, 1.0, 2.7, -1e20]),
    ("Round", "round", "x", HALVES),
    ("Rint", "rint", "x", HALVES),
    ("Sign", "sign", "x", [-3.0, -1e-30, 1e-30, 7.0]),
    ("Softplus", "softplus", "features", [-30, -20, -14, -13.9, -1, 0.5, 1, 13.9, 14, 20, 100]),
    ("Softsign", "softsign", "features", [-1e30, -3, -1, 0.25, 1, 3, 1e30]),
    ("Log1p", "log1p", "x", [-1, -0.5, -1e-7, 1e-10, 1e-5, 0.5, 1, 10, 1e30, -2]),
    ("Expm1", "expm1", "x", [-50, -1, -1e-7, 1e-10, 1e-5, 0.5, 1, 10, 80]),
    ("Sin", "sin", "x", [-3.0, -1.0, 0.1, 1.0, 1.5707964, 3.1415927, 10.0, 100.0]),
    ("Cos", "cos", "x", [-3.0, -1.0, 0.1, 1.0, 1.5, 3.1415927, 10.0, 100.0]),
    ("Erf", "erf", "x", [-5.0, -1.0, -0.5, 1e-5, 0.1, 0.5, 1.0, 2.0, 3.0, 6.0, 1e30, -1e30]),
    ("Erfc", "erfc", "x", [-5.0, -1.0, -0.5, 1e-5, 0.1, 0.5, 1.0, 2.0, 3.0, 6.0, 9.0, 1e30, -1e30]),
    ("Elu", "elu", "features", [-20, -2, -1, -1e-5, 0.5, 2, 1e30]),
    ("Selu", "selu", "features", [-20, -2, -1, -1e-5, 0.5, 2, 1e30]),
    ("LeakyRelu", "leakyrelu", "features", [-20, -2, -1, -1e-5, 0.5, 2, 1e30]),
    ("IsNan", "isnan", "x", [1.0, 1e30]),
    ("IsFinite", "isfinite", "x", [1.0, 1e30]),
    ("IsInf", "isinf", "x", [1.0, 1e30]),
]
for op, prefix, key, values in FLOAT_OPS:
    for tag, dtype in FLOATS:
        CASES.append(unary(f"{prefix}_{tag}", op, a(values, dtype), key))
        CASES.append(unary(f"{prefix}_{tag}_special", op, a(SPECIALS, dtype), key))
    CASES.append(unary(f"{prefix}_empty", op, np.zeros((2, 0), f32), key))
    CASES.append(unary(f"{prefix}_scalar_2d", op, a([[0.75, -0.75], [2.0, -8.0]], f64), key))

CASES += [
    # A dense sweep, to compare the Double-computed functions with TF's approximations.
    unary("erf_f32_sweep", "Erf", np.linspace(-4, 4, 161, dtype=f32)),
    unary("erfc_f32_sweep", "Erfc", np.linspace(-4, 4, 161, dtype=f32)),
    unary("log1p_f32_sweep", "Log1p", np.linspace(-0.99, 5, 121, dtype=f32)),
    unary("expm1_f32_sweep", "Expm1", np.linspace(-5, 5, 121, dtype=f32)),
    unary("softplus_f32_sweep", "Softplus", np.linspace(-16, 16, 129, dtype=f32), "features"),
    unary("sin_f32_sweep", "Sin", np.linspace(-6, 6, 97, dtype=f32)),
    unary("cos_f32_sweep", "Cos", np.linspace(-6, 6, 97, dtype=f32)),
    unary("elu_f32_sweep", "Elu", np.linspace(-6, 2, 65, dtype=f32), "features"),
    unary("selu_f32_sweep", "Selu", np.linspace(-6, 2, 65, dtype=f32), "features"),
    unary("softsign_f32_sweep", "Softsign", np.linspace(-6, 6, 65, dtype=f32), "features"),
    # Integer Sign. Round has no int8 kernel although the op allows it; its int32 and int64
    # kernels answer zeros, which the evaluator declines to imitate (no case).
    unary("round_i8_no_kernel", "Round", a([1], i8)),
    unary("sign_i8", "Sign", a([-128, -1, 0, 1, 127], i8)),
    unary("sign_i16", "Sign", a([-300, 0, 300], i16)),
    unary("sign_i32", "Sign", a([[-5], [0], [5]], i32)),
    unary("sign_i64", "Sign", a([-9223372036854775808, 0, 9223372036854775807], i64)),
    unary("sign_i32_empty", "Sign", np.zeros((0,), i32)),
    # float64 erf turns NaN where x² overflows (√max ≈ 1.34e154); float32 does not.
    unary("erf_f64_huge", "Erf", a([1e154, 1.3e154, 1.35e154, -1.4e154, 1e300, -1e300], f64)),
    # LeakyRelu's alpha attribute.
    unary("leakyrelu_alpha_half", "LeakyRelu", a([-4, -1, 0, 3], f32), "features", {"alpha": 0.5}),
    unary("leakyrelu_alpha_negative", "LeakyRelu", a([-4, -1, 0, 3], f64), "features", {"alpha": -1.5}),
    unary("leakyrelu_alpha_big", "LeakyRelu", a([-4, -1, 0, 3], f32), "features", {"alpha": 3.0}),
]

# AddN over every real dtype; integers wrap.
for tag, dtype in REALS:
    if dtype in (f32, f64):
        values = [a([[1.5, -2.0], [0.25, 100]], dtype), a([[0.5, 2.0], [-0.25, 1e-3]], dtype),
                  a([[inf, 1], [nan, 3]], dtype)]
    else:
        top = np.iinfo(dtype).max
        values = [a([[top, 1], [2, 3]], dtype), a([[1, 4], [5, 6]], dtype), a([[0, 7], [8, 9]], dtype)]
    CASES.append(Case(f"addn_{tag}", "AddN", {"inputs": values}))
CASES += [
    Case("addn_one", "AddN", {"inputs": [a([1.25, 2], f32)]}),
    Case("addn_many", "AddN", {"inputs": [np.arange(6, dtype=f64).reshape(2, 3) * k for k in range(11)]}),
    Case("addn_scalars", "AddN", {"inputs": [a(1, i64), a(2, i64)]}),
    Case("addn_empty", "AddN", {"inputs": [np.zeros((0, 3), f32), np.zeros((0, 3), f32)]}),
    Case("addn_shape_mismatch", "AddN", {"inputs": [np.ones((2,), f32), np.ones((3,), f32)]}),
    Case("addn_no_broadcast", "AddN", {"inputs": [np.ones((1,), f32), np.ones((3,), f32)]}),
    Case("addn_rank_mismatch", "AddN", {"inputs": [np.ones((1, 3), i32), np.ones((3,), i32)]}),
]

# Truncating division: the sign of the quotient and remainder follow C, not Python.
for tag, dtype in REALS:
    if dtype in (f32, f64):
        x, y = a([[7.5, -7.5, 3.0], [-2.25, 0.0, 100.0]], dtype), a([2.0, -2.0, 0.5], dtype)
    elif tag.startswith("i"):
        x, y = a([[7, -7, 7], [-7, 0, 100]], dtype), a([2, 2, -3], dtype)
    else:
        x, y = a([[7, 9, 200], [1, 0, 100]], dtype), a([2, 4, 3], dtype)
    CASES.append(binary(f"truncatediv_{tag}", "TruncateDiv", x, y))
    if dtype in (f32, f64, i32, i64):  # the op itself allows no other dtype
        CASES.append(binary(f"truncatemod_{tag}", "TruncateMod", x, y))
CASES += [
    binary("truncatediv_i8_min_by_minus_one", "TruncateDiv", a([-128], i8), a([-1], i8)),
    binary("truncatemod_i32_min_by_minus_one", "TruncateMod", a([-2147483648], i32), a([-1], i32)),
    binary("truncatediv_i32_by_zero", "TruncateDiv", a([7, -7], i32), a([2, 0], i32)),
    binary("truncatemod_i64_by_zero", "TruncateMod", a([7, -7], i64), a(0, i64)),
    binary("truncatediv_i32_empty_by_zero", "TruncateDiv", np.zeros((0,), i32), a(0, i32)),
    binary("truncatediv_f32_special", "TruncateDiv", a([7.5, -7.5, 1, 0, inf, nan, -1], f32),
           a([2, 2, 0, 0, 2, 1, inf], f32)),
    binary("truncatemod_f32_special", "TruncateMod", a([7.5, -7.5, inf, 1, 5, -5, nan], f32),
           a([2, 2, 1, 0, inf, -inf, 1], f32)),
    binary("truncatemod_f64_fraction", "TruncateMod", a([5.3, -5.3, 5.3, -5.3], f64), a([2, 2, -2, -2], f64)),
    binary("truncatediv_broadcast", "TruncateDiv", a([[-7], [7]], i64), a([2, -3, 4], i64)),
    binary("truncatediv_bad_broadcast", "TruncateDiv", a([1, 2], i32), a([1, 2, 3], i32)),
]

# ClipByValue: scalar bounds or bounds of t's shape; other shapes are rejected.
for tag, dtype in REALS:
    if dtype in (u32, u64):
        continue
    CASES.append(clip(f"clip_{tag}", a([[0, 3, 9], [5, 1, 7]], dtype), a(2, dtype), a(6, dtype)))
CASES += [
    clip("clip_u32_no_kernel", a([1, 5], u32), a(2, u32), a(4, u32)),
    clip("clip_elementwise_bounds", a([[1, 5, 9], [-1, 2, 3]], f32), a([[0, 6, 0], [0, 0, 5]], f32),
         a([[4, 8, 4], [1, 1, 9]], f32)),
    clip("clip_mixed_bounds", a([1, 5, 9, -3], f64), a(0, f64), a([2, 6, 8, 1], f64)),
    clip("clip_nan", a([1, 5, nan, -1, inf, -inf], f32), a(0, f32), a(4, f32)),
    clip("clip_nan_min", a([1, 5, 3, -1], f32), a(nan, f32), a(2, f32)),
    clip("clip_nan_max", a([1, 5, 3, -1], f32), a(0, f32), a(nan, f32)),
    clip("clip_min_above_max", a([1, 5, 3, -1], i32), a(5, i32), a(2, i32)),
    clip("clip_empty", np.zeros((0, 2), f32), a(0, f32), a(1, f32)),
    clip("clip_scalar", a(7, i16), a(-1, i16), a(3, i16)),
    clip("clip_row_bound", a([[1, 5, 9], [-1, 2, 3]], f32), a([0, 1, 2], f32), a(4, f32)),
    clip("clip_column_bound", a([[1, 5]], f32), a([[0], [1]], f32), a(2, f32)),
    clip("clip_one_element_bound", a([1, 5, 9], f32), a([2], f32), a(4, f32)),
]

# Softmax and LogSoftmax over the last axis.
for op, prefix in [("Softmax", "softmax"), ("LogSoftmax", "logsoftmax")]:
    for tag, dtype in FLOATS:
        CASES.append(unary(f"{prefix}_{tag}", op, a([[1, 2, 3], [-1, 0, 1], [5, 5, 5]], dtype), "logits"))
    CASES += [
        unary(f"{prefix}_vector", op, a([0.5, -2, 3, 1], f32), "logits"),
        unary(f"{prefix}_large", op, a([[1000, 1001, 999], [-1000, -1000.5, -999]], f32), "logits"),
        unary(f"{prefix}_rank3", op, np.linspace(-3, 3, 24, dtype=f64).reshape(2, 3, 4), "logits"),
        unary(f"{prefix}_width_one", op, a([[3], [-7]], f32), "logits"),
        unary(f"{prefix}_empty_rows", op, np.zeros((0, 3), f32), "logits"),
        unary(f"{prefix}_empty_width", op, np.zeros((2, 0), f32), "logits"),
        unary(f"{prefix}_scalar", op, a(1, f32), "logits"),
    ]
