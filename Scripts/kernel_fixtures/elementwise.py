# SPDX-License-Identifier: Apache-2.0
"""Kernel fixture cases for the elementwise family; see generate.py.

Every op in Kernels/Elementwise*.swift, over the dtypes TensorFlow has CPU kernels for,
with broadcasting, scalars, empty tensors, NaN and infinities, negative integer
division, wrap-around, and the inputs TensorFlow rejects. Float inputs avoid subnormals:
TensorFlow flushes them to zero, which the evaluator does not emulate.
"""
import numpy as np
import tensorflow as tf

from generate import Case

f32, f64 = np.float32, np.float64
i8, i16, i32, i64 = np.int8, np.int16, np.int32, np.int64
u8, u16, u32, u64 = np.uint8, np.uint16, np.uint32, np.uint64
nan, inf = np.nan, np.inf

SIGNED = [("i8", i8), ("i16", i16), ("i32", i32), ("i64", i64)]
UNSIGNED = [("u8", u8), ("u16", u16), ("u32", u32), ("u64", u64)]
FLOATS = [("f32", f32), ("f64", f64)]
REALS = FLOATS + SIGNED + UNSIGNED


def a(values, dtype):
    return np.array(values, dtype=dtype)


def binary(name, op, x, y, attrs=None):
    return Case(name, op, {"x": x, "y": y}, attrs)


def unary(name, op, x, key="x"):
    return Case(name, op, {key: x})


t, f = True, False
CASES = []

# Arithmetic binary ops over every real dtype they have a kernel for. Signed operands mix
# signs so that truncating and flooring division differ; divisors are non-zero.
for op, prefix in [("AddV2", "addv2"), ("Sub", "sub"), ("Mul", "mul"), ("Div", "div"),
                   ("FloorDiv", "floordiv"), ("FloorMod", "floormod"),
                   ("Maximum", "maximum"), ("Minimum", "minimum")]:
    for tag, dtype in REALS:
        if dtype in (f32, f64):
            x, y = a([[7.5, -7.5, 3.0], [-2.25, 0.0, 100.0]], dtype), a([2.0, -2.0, 0.5], dtype)
        elif tag.startswith("i"):
            x, y = a([[7, -7, 7], [-7, 0, 100]], dtype), a([2, 2, -3], dtype)
        else:
            x, y = a([[7, 9, 200], [1, 0, 100]], dtype), a([2, 4, 3], dtype)
        CASES.append(binary(f"{prefix}_{tag}", op, x, y))

CASES += [
    # Add: the V1 op, which also concatenates strings but has no uint16/32/64 kernel.
    binary("add_f32", "Add", a([1.5, -2.0, 3.25], f32), a([0.5, 2.0, -3.25], f32)),
    binary("add_i32", "Add", a([1, -2, 2147483647], i32), a([5, 2, 1], i32)),
    binary("add_u8_wraps", "Add", a([250, 3], u8), a([10, 4], u8)),
    binary("add_i8_wraps", "Add", a([127, -128, 100], i8), a([1, -1, 100], i8)),
    binary("add_string", "Add", a([b"ab", b"", b"x"], object), a([b"cd", b"e", b""], object)),
    binary("add_string_broadcast", "Add", a([[b"a"], [b"b"]], object), a([b"1", b"2", b"3"], object)),
    binary("add_string_scalar", "Add", a(b"pre-", object), a([b"x", b"y"], object)),
    # Broadcasting.
    binary("add_broadcast", "AddV2", np.arange(6, dtype=f32).reshape(2, 3), a([10, 20, 30], f32)),
    binary("add_bad_broadcast", "AddV2", np.ones((2, 3), f32), np.ones((2,), f32)),
    binary("add_broadcast_outer", "AddV2", a([[1], [2]], f32), a([[10, 20, 30]], f32)),
    binary("add_broadcast_rank3", "AddV2", np.arange(12, dtype=i32).reshape(2, 3, 2), a([[100], [200], [300]], i32)),
    binary("add_broadcast_rank_mismatch", "AddV2", np.arange(4, dtype=f64).reshape(1, 2, 1, 2),
           np.arange(3, dtype=f64).reshape(3, 1, 1)),
    binary("sub_broadcast_rank4", "Sub", np.arange(6, dtype=f32).reshape(2, 1, 3, 1),
           np.arange(20, dtype=f32).reshape(4, 1, 5) / 4),
    binary("mul_broadcast_width_one", "Mul", np.arange(6, dtype=i32).reshape(2, 3, 1), a([[[2], [3], [4]]], i32)),
    binary("floormod_broadcast_i64", "FloorMod", a([[-7], [7], [-1]], i64), a([3, -3, 5, -5], i64)),
    binary("maximum_broadcast_row", "Maximum", np.arange(12, dtype=u8).reshape(4, 3), a([5, 0, 9], u8)),
    binary("pow_broadcast_column", "Pow", a([[2], [3]], i64), a([[0, 1, 2, 3]], i64)),
    binary("add_scalar_left", "AddV2", a(5, i64), a([1, 2, 3], i64)),
    binary("add_scalar_right", "AddV2", a([[1, 2], [3, 4]], f32), a(0.5, f32)),
    binary("add_scalars", "AddV2", a(1.25, f32), a(2.5, f32)),
    binary("add_one_element_broadcast", "AddV2", a([[1.0]], f32), a([1, 2, 3], f32)),
    binary("add_empty", "AddV2", np.zeros((0, 3), f32), a([1, 2, 3], f32)),
    binary("add_empty_vs_one", "AddV2", np.zeros((0,), f32), a([1], f32)),
    binary("add_empty_vs_two", "AddV2", np.zeros((0,), f32), a([1, 2], f32)),
    binary("add_empty_bad_broadcast", "AddV2", np.zeros((0, 3), f32), a([[1], [2]], f32)),
    binary("add_inf_nan", "AddV2", a([inf, -inf, nan, 1], f32), a([-inf, -inf, 1, inf], f32)),
    binary("addv2_i64_wraps", "AddV2", a([9223372036854775807, -9223372036854775808], i64), a([1, -1], i64)),
    binary("sub_u8_wraps", "Sub", a([0, 5], u8), a([1, 10], u8)),
    binary("sub_inf", "Sub", a([inf, 1], f64), a([inf, -inf], f64)),
    binary("mul_i16_wraps", "Mul", a([300, -300], i16), a([300, 300], i16)),
    binary("mul_u64_wraps", "Mul", a([2**63, 3], u64), a([2, 2**63], u64)),
    binary("mul_inf_zero", "Mul", a([inf, -0.0, 1e30], f32), a([0, 5, 1e30], f32)),
    # Division: truncating Div versus flooring FloorDiv, zeros, wrap-around, floats.
    binary("div_i32_signs", "Div", a([7, -7, 7, -7, 0], i32), a([2, 2, -2, -2, 3], i32)),
    binary("floordiv_i32_signs", "FloorDiv", a([7, -7, 7, -7, 0, -1], i32), a([2, 2, -2, -2, 3, 5], i32)),
    binary("floormod_i32_signs", "FloorMod", a([7, -7, 7, -7, 0, -1], i32), a([2, 2, -2, -2, 3, 5], i32)),
    binary("floordiv_i8_extremes", "FloorDiv", a([-128, -128, 127, -128], i8), a([3, 127, -128, -1], i8)),
    binary("floormod_i8_extremes", "FloorMod", a([-128, -128, 127, -128], i8), a([3, 127, -128, -1], i8)),
    binary("div_i32_min_by_minus_one", "Div", a([-2147483648], i32), a([-1], i32)),
    binary("floordiv_i64_min_by_minus_one", "FloorDiv", a([-9223372036854775808], i64), a([-1], i64)),
    binary("div_i32_by_zero", "Div", a([1, 2], i32), a([1, 0], i32)),
    binary("div_u8_by_zero", "Div", a([1], u8), a([0], u8)),
    binary("floordiv_i64_by_zero", "FloorDiv", a([1, 2], i64), a(0, i64)),
    binary("floormod_i32_by_zero", "FloorMod", a([[1, 2]], i32), a([0, 3], i32)),
    binary("floormod_u16_by_zero", "FloorMod", a([1], u16), a([0], u16)),
    binary("div_i32_empty_by_zero", "Div", np.zeros((0,), i32), a(0, i32)),
    binary("div_f32_by_zero", "Div", a([1, -1, 0, inf], f32), a([0, 0, 0, 0], f32)),
    binary("div_f32_signed_zero", "Div", a([1, -1], f32), a([-0.0, -0.0], f32)),
    binary("realdiv_f32", "RealDiv", a([7, -7, 1, 0], f32), a([2, 2, 0, 0], f32)),
    binary("realdiv_f64_broadcast", "RealDiv", a([[1], [2]], f64), a([3, 7], f64)),
    binary("realdiv_i32_no_kernel", "RealDiv", a([7], i32), a([2], i32)),
    binary("floordiv_f32_special", "FloorDiv", a([7, -7, 7, -7, 0, 1, -1, 0, 5.5], f32),
           a([2, 2, -2, -2, 3, 0, 0, 0, inf], f32)),
    binary("floormod_f32_special", "FloorMod", a([7, -7, 7, -7, 0, 1, 5.5, -0.0, 4, -4], f32),
           a([2, 2, -2, -2, 3, 0, inf, 3, -2, 2], f32)),
    binary("floormod_f64_inf", "FloorMod", a([5, -5, inf, nan, -5.5], f64), a([inf, inf, 2, 2, -inf], f64)),
    binary("floormod_f64_fraction", "FloorMod", a([5.3, -5.3, 5.3, -5.3], f64), a([2, 2, -2, -2], f64)),
    # Maximum and Minimum propagate NaN from either side.
    binary("maximum_f32_nan", "Maximum", a([nan, 1, nan, -0.0, 0.0, -inf], f32), a([1, nan, nan, 0.0, -0.0, 3], f32)),
    binary("minimum_f32_nan", "Minimum", a([nan, 1, nan, -0.0, 0.0, inf], f32), a([1, nan, nan, 0.0, -0.0, 3], f32)),
    binary("maximum_f64_broadcast", "Maximum", a([[1], [5]], f64), a([0, 3, 7], f64)),
    binary("minimum_u32_scalar", "Minimum", a([1, 4000000000, 7], u32), a(5, u32)),
    # Pow.
    binary("pow_f32", "Pow", a([2, -2, -8, 0, 0, nan, 1, 4, 10], f32),
           a([0.5, 3, 1 / 3, 0, -1, 0, nan, -0.5, -2], f32)),
    binary("pow_f64", "Pow", a([2, -2, 1.5, 0, -0.0, inf], f64), a([10, -3, 2.5, 2, -1, -1], f64)),
    binary("pow_i32", "Pow", a([2, 3, -2, 0, 1, -1, 7], i32), a([31, 3, 3, 0, 100, 5, 2], i32)),
    binary("pow_i8_wraps", "Pow", a([3, 2, -2], i8), a([5, 7, 7], i8)),
    binary("pow_i16", "Pow", a([2, -3], i16), a([15, 9], i16)),
    binary("pow_i64", "Pow", a([2, 10, -1], i64), a([62, 18, 63], i64)),
    binary("pow_i32_negative_exponent", "Pow", a([2, 3], i32), a([2, -1], i32)),
    binary("pow_i64_negative_exponent_one", "Pow", a([1], i64), a([-1], i64)),
    binary("pow_f32_broadcast", "Pow", a([[1], [2], [3]], f32), a([0, 1, 2], f32)),
    # SquaredDifference.
    binary("squareddifference_f32", "SquaredDifference", a([1, -2, 3.5, inf], f32), a([4, 2, 3.5, 1], f32)),
    binary("squareddifference_f64_broadcast", "SquaredDifference", a([[1], [2]], f64), a([0.5, -1], f64)),
    binary("squareddifference_i32_wraps", "SquaredDifference", a([1, 2**20], i32), a([5, -2**20], i32)),
    binary("squareddifference_i64", "SquaredDifference", a([10, -10], i64), a([-5, 3], i64)),
]

# Unary ops.
for tag, dtype in FLOATS:
    special = a([-2.5, -1, -0.0, 0, 0.5, 2, inf, -inf, nan], dtype)
    positive = a([0, -0.0, 1e-3, 0.25, 1, 2, 100, 1e10, inf, -1, nan], dtype)
    wide = a([-100, -20, -5, -1, -0.001, 0, 1e-6, 0.5, 3, 9, 20, 100, inf, -inf, nan], dtype)
    CASES += [
        unary(f"neg_{tag}", "Neg", special),
        unary(f"abs_{tag}", "Abs", special),
        unary(f"square_{tag}", "Square", a([-3, 0.5, 1e20, -0.0, inf, nan], dtype)),
        unary(f"sqrt_{tag}", "Sqrt", positive),
        unary(f"rsqrt_{tag}", "Rsqrt", positive),
        unary(f"log_{tag}", "Log", positive),
        unary(f"exp_{tag}", "Exp", a([-80, -5, -1, 0, 1e-4, 0.5, 1, 10, 80, 88, 89, inf, -inf, nan], dtype)),
        unary(f"reciprocal_{tag}", "Reciprocal", a([2, -4, 0, -0.0, 3, 1e-3, inf, nan], dtype)),
        unary(f"inv_{tag}", "Inv", a([[2, -4], [0.5, 8]], dtype)),
        unary(f"tanh_{tag}", "Tanh", wide),
        unary(f"sigmoid_{tag}", "Sigmoid", wide),
        unary(f"relu_{tag}", "Relu", special, key="features"),
        unary(f"relu6_{tag}", "Relu6", a([-1, -0.0, 0, 3, 6, 7, inf, -inf, nan], dtype), key="features"),
    ]
CASES += [
    unary("exp_f32_matrix", "Exp", np.linspace(-3, 3, 12, dtype=f32).reshape(3, 4)),
    unary("tanh_f32_dense", "Tanh", np.linspace(-6, 6, 97, dtype=f32)),
    unary("sigmoid_f32_dense", "Sigmoid", np.linspace(-15, 15, 97, dtype=f32)),
    unary("log_f32_dense", "Log", np.linspace(0.01, 50, 97, dtype=f32)),
    unary("rsqrt_f32_dense", "Rsqrt", np.linspace(0.01, 50, 97, dtype=f32)),
    unary("exp_f32_empty", "Exp", np.zeros((2, 0), f32)),
    unary("sqrt_f64_scalar", "Sqrt", a(2, f64)),
    unary("neg_i8_min_wraps", "Neg", a([-128, -1, 0, 127], i8)),
    unary("neg_i32", "Neg", a([[1, -2], [0, 2147483647]], i32)),
    unary("neg_i64", "Neg", a([-9223372036854775808, 5], i64)),
    unary("neg_i16_empty", "Neg", np.zeros((0,), i16)),
    unary("abs_i8_min_wraps", "Abs", a([-128, -1, 0, 127], i8)),
    unary("abs_i16", "Abs", a([-300, 300], i16)),
    unary("abs_i32", "Abs", a([-5, 0, 5, -2147483648], i32)),
    unary("abs_i64", "Abs", a([-5, 9223372036854775807], i64)),
    unary("square_i32_wraps", "Square", a([3, -4, 65536, 46341], i32)),
    unary("square_i8_wraps", "Square", a([16, -12, 11], i8)),
    unary("square_u8", "Square", a([3, 16, 255], u8)),
    unary("square_u64", "Square", a([3, 2**32], u64)),
    unary("reciprocal_i32_no_kernel", "Reciprocal", a([2], i32)),
    unary("relu_i32", "Relu", a([-5, 0, 5], i32), key="features"),
    unary("relu_i8", "Relu", a([-128, 127], i8), key="features"),
    unary("relu_u16", "Relu", a([0, 65535], u16), key="features"),
    unary("relu_i64_scalar", "Relu", a(-3, i64), key="features"),
    unary("relu6_i32", "Relu6", a([-1, 3, 6, 7, 2147483647], i32), key="features"),
    unary("relu6_u8", "Relu6", a([1, 3, 7, 255], u8), key="features"),
    unary("relu6_i64", "Relu6", a([[-9, 9]], i64), key="features"),
]

# Every unary op over every dtype it has a kernel for.
for op, dtypes, key in [("Square", REALS, "x"), ("Relu", REALS, "features"), ("Relu6", REALS, "features"),
                        ("Neg", FLOATS + SIGNED, "x"), ("Abs", FLOATS + SIGNED, "x")]:
    for tag, dtype in dtypes:
        values = [0, 1, 5, 7, 100] if (tag.startswith("u")) else [-100, -7, 0, 1, 5, 7, 100]
        CASES.append(unary(f"{op.lower()}_all_{tag}", op, a(values, dtype), key=key))
for tag, dtype in FLOATS + SIGNED:
    CASES.append(binary(f"pow_all_{tag}", "Pow", a([[-3], [2], [5]], dtype), a([0, 1, 2, 3], dtype)))
    if dtype not in (i8, i16):  # SquaredDifference has no 8- or 16-bit kernels.
        CASES.append(binary(f"squareddifference_all_{tag}", "SquaredDifference", a([-3, 2, 5], dtype),
                            a([4, -1, 5], dtype)))

# Comparisons.
for op, prefix in [("Less", "less"), ("LessEqual", "lessequal"), ("Greater", "greater"),
                   ("GreaterEqual", "greaterequal"), ("Equal", "equal"), ("NotEqual", "notequal")]:
    CASES += [
        binary(f"{prefix}_f32_nan", op, a([1, 2, 3, nan, nan, -0.0, inf], f32), a([2, 2, 2, 1, nan, 0.0, inf], f32)),
        binary(f"{prefix}_i32_broadcast", op, a([[1], [2], [3]], i32), a([1, 2, 3], i32)),
        binary(f"{prefix}_u8", op, a([0, 200, 255], u8), a([1, 200, 0], u8)),
        binary(f"{prefix}_f64_scalar", op, a([0.5, 1.5, 2.5], f64), a(1.5, f64)),
        binary(f"{prefix}_i64", op, a([-9223372036854775808, 5], i64), a([9223372036854775807, 5], i64)),
        binary(f"{prefix}_i8_empty", op, np.zeros((0, 2), i8), a([1, 2], i8)),
    ]
CASES += [
    binary("less_u64_large", "Less", a([2**63, 1], u64), a([2**63 + 1, 2**64 - 1], u64)),
    binary("greater_i16", "Greater", a([-300, 300], i16), a([300, -300], i16)),
    binary("lessequal_u16", "LessEqual", a([0, 65535], u16), a([0, 1], u16)),
    binary("greaterequal_u32", "GreaterEqual", a([4000000000, 1], u32), a([3999999999, 1], u32)),
    binary("less_bad_broadcast", "Less", a([1, 2], f32), a([1, 2, 3], f32)),
    binary("equal_bool", "Equal", a([True, True, False, False], bool), a([True, False, True, False], bool)),
    binary("notequal_bool", "NotEqual", a([True, True, False, False], bool), a([True, False, True, False], bool)),
    binary("equal_string", "Equal", a([b"a", b"b", b""], object), a([b"a", b"c", b""], object)),
    binary("notequal_string_broadcast", "NotEqual", a([[b"a"], [b"b"]], object), a([b"a", b"b"], object)),
    binary("equal_u64", "Equal", a([2**64 - 1, 0], u64), a([2**64 - 1, 1], u64)),
    binary("equal_incompatible_error", "Equal", a([1, 2], i32), a([1, 2, 3], i32)),
    binary("equal_incompatible_no_error", "Equal", a([1, 2], i32), a([1, 2, 3], i32),
           {"incompatible_shape_error": False}),
    binary("notequal_incompatible_no_error", "NotEqual", a([[1, 2], [3, 4]], f32), np.zeros((3, 2), f32),
           {"incompatible_shape_error": False}),
    binary("equal_compatible_no_error", "Equal", a([[1, 2]], i32), a([[1], [2]], i32),
           {"incompatible_shape_error": False}),
    binary("notequal_incompatible_error", "NotEqual", a([t, f], bool), a([t, f, t], bool)),
]

# Logic.
CASES += [
    binary("logicaland", "LogicalAnd", a([t, t, f, f], bool), a([t, f, t, f], bool)),
    binary("logicalor", "LogicalOr", a([t, t, f, f], bool), a([t, f, t, f], bool)),
    binary("logicaland_broadcast", "LogicalAnd", a([t, f], bool), a([[t], [f]], bool)),
    binary("logicalor_scalar", "LogicalOr", a(f, bool), a([[t, f], [f, f]], bool)),
    binary("logicaland_bad_broadcast", "LogicalAnd", a([t, f], bool), a([t, f, t], bool)),
    binary("logicalor_empty", "LogicalOr", np.zeros((0, 2), bool), a([t, f], bool)),
    unary("logicalnot", "LogicalNot", a([[t, f], [f, t]], bool)),
    unary("logicalnot_scalar", "LogicalNot", a(t, bool)),
    unary("logicalnot_empty", "LogicalNot", np.zeros((0,), bool)),
]


def select(name, op, condition, x, y):
    keys = ("x", "y") if op == "Select" else ("t", "e")
    return Case(name, op, {"condition": condition, keys[0]: x, keys[1]: y})


m1 = a([[1, 2], [3, 4]], f32)
m2 = a([[5, 6], [7, 8]], f32)
CASES += [
    select("select_same_shape", "Select", a([[t, f], [f, t]], bool), m1, m2),
    select("select_vector_rows", "Select", a([t, f], bool), m1, m2),
    select("select_vector_rows_rank3", "Select", a([f, t], bool), np.ones((2, 1, 2), i32), np.zeros((2, 1, 2), i32)),
    select("select_vector_vector", "Select", a([t, f, t], bool), a([1, 2, 3], i64), a([4, 5, 6], i64)),
    select("select_scalar_condition", "Select", a(f, bool), m1, m2),
    select("select_scalars", "Select", a(t, bool), a(1, f64), a(2, f64)),
    select("select_string", "Select", a([t, f], bool), a([b"a", b"b"], object), a([b"c", b"d"], object)),
    select("select_bool", "Select", a([t, f], bool), a([f, f], bool), a([t, t], bool)),
    select("select_u16", "Select", a([[f], [t]], bool), a([[1], [2]], u16), a([[3], [4]], u16)),
    select("select_empty", "Select", np.zeros((0,), bool), np.zeros((0, 3), f32), np.zeros((0, 3), f32)),
    select("select_else_mismatch", "Select", a([[t, f], [f, t]], bool), m1, a([[1], [2]], f32)),
    select("select_vector_else_mismatch", "Select", a([t, f], bool), m1, np.zeros((2, 3), f32)),
    select("select_bad_batch", "Select", a([t, f, t], bool), m1, m2),
    select("select_then_else_mismatch", "Select", a([t, f], bool), m1, a([[5, 6]], f32)),
    select("select_scalar_condition_mismatch", "Select", a(t, bool), a([1, 2], f32), a([5, 6, 7], f32)),
    select("select_vector_scalar_then", "Select", a([t], bool), a(1, f32), a(2, f32)),
    select("select_no_broadcast", "Select", a([[t, f]], bool), m1, m2),
    select("select_rank_mismatch", "Select", a([[t, f]], bool), a([[[1, 2]]], f32), a([[[1, 2]]], f32)),
    select("selectv2_broadcast", "SelectV2", a([t, f], bool), a([[1], [3]], f32), a(9, f32)),
    select("selectv2_broadcast_condition", "SelectV2", a([[t], [f]], bool), a([1, 2, 3], i32), a([4, 5, 6], i32)),
    select("selectv2_three_way", "SelectV2", a([t, f, t], bool), a([[1], [3]], f64), a(9, f64)),
    select("selectv2_rank3", "SelectV2", a([[[t]], [[f]]], bool), np.arange(3, dtype=f32).reshape(1, 3, 1),
           -np.arange(4, dtype=f32).reshape(1, 1, 4)),
    select("selectv2_scalar_condition", "SelectV2", a(f, bool), a([1, 2], i64), a([[5], [6]], i64)),
    select("selectv2_same_shape", "SelectV2", a([[t, f], [f, t]], bool), m1, m2),
    select("selectv2_string", "SelectV2", a([t, f], bool), a(b"yes", object), a(b"no", object)),
    select("selectv2_empty", "SelectV2", np.zeros((0, 1), bool), a([1, 2], f32), a(0, f32)),
    select("selectv2_bad_broadcast", "SelectV2", a(t, bool), a([1, 3], f32), a([1, 2, 3], f32)),
    select("selectv2_bad_condition", "SelectV2", a([t, f, t], bool), a([1, 3], f32), a(0, f32)),
]


def cast(name, x, dst, truncate=None):
    attrs = {"DstT": dst}
    if truncate is not None:
        attrs["Truncate"] = truncate
    return Case(name, "Cast", {"x": x}, attrs)


CASES += [
    cast("cast_f32_to_i32", a([2.7, -2.7, 0.5, -0.5, 1e9, -2147483520], f32), tf.int32),
    cast("cast_f32_to_i32_out_of_range", a([nan, inf, -inf, 3e9, -3e9, 2147483648], f32), tf.int32),
    cast("cast_f32_to_i64", a([2.7, -2.7, 1e10, -1e18, nan, inf, -inf, 1e19], f32), tf.int64),
    cast("cast_f32_to_i8_wraps", a([300.7, -1.9, 127.9, -128.9, 200], f32), tf.int8),
    cast("cast_f32_to_u8_wraps", a([300.7, -1.9, 255.5, 3], f32), tf.uint8),
    cast("cast_f32_to_i16", a([40000, -1.5, 32767], f32), tf.int16),
    cast("cast_f32_to_u16", a([70000, -1, 65535], f32), tf.uint16),
    cast("cast_f64_to_u32", a([3e9, 1.9, 4294967295], f64), tf.uint32),
    cast("cast_f64_to_u64", a([1e19, 2.0**63, 1.5, 1e10], f64), tf.uint64),
    cast("cast_f64_to_i32", a([-2.9, 2147483647.9, -2147483648.9], f64), tf.int32),
    cast("cast_f64_to_f32", a([0.1, 1 / 3, 1e300, -1e300, 3.4028235677973366e+38, nan, -0.0], f64), tf.float32),
    cast("cast_f64_to_f32_truncate", a([0.1, 1 / 3, 1 + 2**-24 + 2**-40, 3.4028236e38, 1e39, -0.1, nan, -inf], f64),
         tf.float32, True),
    cast("cast_f64_to_f32_no_truncate", a([0.1, 1 / 3, 1 + 2**-24 + 2**-40], f64), tf.float32, False),
    cast("cast_f32_to_f64", a([0.1, -1e30, inf, nan], f32), tf.float64),
    cast("cast_f32_to_f64_truncate", a([0.1, -1e30], f32), tf.float64, True),
    cast("cast_i64_to_f32_rounds", a([2**24 + 1, 2**53 + 1, 16777217 * 3, -(2**24 + 3)], i64), tf.float32),
    cast("cast_i64_to_f32_truncate_no_effect", a([2**24 + 1, -(2**24 + 3)], i64), tf.float32, True),
    cast("cast_i64_to_f64", a([2**53 + 1, -9223372036854775808], i64), tf.float64),
    cast("cast_u64_to_f32", a([2**64 - 1, 2**63 + 1], u64), tf.float32),
    cast("cast_i64_to_i8_wraps", a([-1, 300, 2**40 + 5, -9223372036854775808], i64), tf.int8),
    cast("cast_i64_to_u32_wraps", a([-1, 2**40 + 5], i64), tf.uint32),
    cast("cast_i8_to_u64", a([-1, 127], i8), tf.uint64),
    cast("cast_u8_to_i8", a([255, 128, 127], u8), tf.int8),
    cast("cast_u64_to_i8", a([2**64 - 1, 255], u64), tf.int8),
    cast("cast_u16_to_i64", a([65535], u16), tf.int64),
    cast("cast_i32_to_bool", a([0, 1, -5], i32), tf.bool),
    cast("cast_f32_to_bool", a([0, -0.0, 0.5, nan, -inf], f32), tf.bool),
    cast("cast_u64_to_bool", a([0, 2**63], u64), tf.bool),
    cast("cast_bool_to_f32", a([t, f], bool), tf.float32),
    cast("cast_bool_to_i64", a([[t], [f]], bool), tf.int64),
    cast("cast_bool_to_u8", a([t, f], bool), tf.uint8),
    cast("cast_bool_to_f64_scalar", a(t, bool), tf.float64),
    cast("cast_bool_to_bool", a([t, f], bool), tf.bool),
    cast("cast_f32_to_f32", a([1.5, nan], f32), tf.float32, True),
    cast("cast_i32_to_i32", a([1, 2], i32), tf.int32),
    cast("cast_string_to_string", a([b"x"], object), tf.string),
    cast("cast_i32_to_f32_empty", np.zeros((0, 2), i32), tf.float32),
    cast("cast_string_to_i32", a([b"1"], object), tf.int32),
    cast("cast_i32_to_string", a([1], i32), tf.string),
]

# Every conversion between the real types and bool, with values every type holds (and a
# negative one from the signed types, which wraps into the unsigned ones).
ALL_TYPES = REALS + [("bool", bool)]
TF_TYPES = {f32: tf.float32, f64: tf.float64, i8: tf.int8, i16: tf.int16, i32: tf.int32, i64: tf.int64,
            u8: tf.uint8, u16: tf.uint16, u32: tf.uint32, u64: tf.uint64, bool: tf.bool}
for source_tag, source in ALL_TYPES:
    if source is bool:
        values = a([t, f, t], bool)
    elif source in (f32, f64):
        values = a([0, 1.5, -0.0, 100.9, 127], source)
    elif source_tag.startswith("i"):
        values = a([0, 1, -1, 100, 127], source)
    else:
        values = a([0, 1, 100, 127], source)
    for destination_tag, destination in ALL_TYPES:
        CASES.append(cast(f"cast_all_{source_tag}_to_{destination_tag}", values, TF_TYPES[destination]))

# BiasAdd: along the last axis (NHWC) or axis 1 (NCHW).
CASES += [
    Case("biasadd_nhwc", "BiasAdd", {"value": np.arange(12, dtype=f32).reshape(1, 2, 2, 3),
                                     "bias": np.array([1, -2, 0.5], f32)}),
    Case("biasadd_matrix_int32", "BiasAdd", {"value": np.arange(6, dtype=np.int32).reshape(2, 3),
                                             "bias": np.array([10, 20, 30], np.int32)}),
    Case("biasadd_nchw", "BiasAdd", {"value": np.arange(12, dtype=f32).reshape(1, 3, 2, 2),
                                     "bias": np.array([1, -2, 0.5], f32)}, {"data_format": "NCHW"}),
    Case("biasadd_wrong_length", "BiasAdd", {"value": np.ones((2, 3), f32), "bias": np.ones((2,), f32)}),
    Case("biasadd_rank1_value", "BiasAdd", {"value": np.ones((3,), f32), "bias": np.ones((3,), f32)}),
]
