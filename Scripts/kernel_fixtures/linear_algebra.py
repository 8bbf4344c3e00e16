# SPDX-License-Identifier: Apache-2.0
"""Kernel fixture cases for the linear algebra family; see generate.py."""
import numpy as np

from generate import Case

f32, f64, i16, i32, i64 = np.float32, np.float64, np.int16, np.int32, np.int64
rng = np.random.default_rng(20240501)


def ints(shape, dtype=f32, low=-4, high=5):
    """Small integers: every product and sum is exact, so accumulation order is moot."""
    return rng.integers(low, high, size=shape).astype(dtype)


def positive(shape, dtype=f32):
    """Well-conditioned reals in [0.5, 1.5): no cancellation, so any summation order
    agrees to a few ulps."""
    return rng.uniform(0.5, 1.5, size=shape).astype(dtype)


def matmul(name, a, b, **attrs):
    return Case(f"matmul_{name}", "MatMul", {"a": a, "b": b}, attrs)


def bmm(name, x, y, **attrs):
    return Case(f"bmm_v2_{name}", "BatchMatMulV2", {"x": x, "y": y}, attrs)


def bmm_v1(name, x, y, **attrs):
    return Case(f"bmm_v1_{name}", "BatchMatMul", {"x": x, "y": y}, attrs)


CASES = [
    # MatMul.
    matmul("float", ints((2, 3)), ints((3, 4))),
    matmul("transpose_a", ints((3, 2)), ints((3, 4)), transpose_a=True),
    matmul("transpose_b", ints((2, 3)), ints((4, 3)), transpose_b=True),
    matmul("transpose_both", ints((3, 2)), ints((4, 3)), transpose_a=True, transpose_b=True),
    matmul("float_reals", positive((8, 16)), positive((16, 5))),
    matmul("float_reals_transposed", positive((33, 7)), positive((9, 33)), transpose_a=True, transpose_b=True),
    matmul("double", positive((4, 6), f64), positive((6, 3), f64)),
    matmul("int32", ints((3, 3), i32), ints((3, 2), i32)),
    matmul("int64", ints((2, 5), i64, -1000, 1000), ints((5, 2), i64, -1000, 1000), transpose_b=False),
    matmul("int32_wraps", np.full((1, 2), 2**20, i32), np.full((2, 1), 2**12, i32)),
    matmul("inf_nan", np.array([[np.inf, 1.0], [np.nan, 2.0]], f32), np.array([[0.0, 1.0], [1.0, 1.0]], f32)),
    matmul("inner_empty", np.zeros((2, 0), f32), np.zeros((0, 4), f32)),
    matmul("rows_empty", np.zeros((0, 3), f32), ints((3, 4))),
    matmul("vector_times_vector", ints((1, 4)), ints((4, 1))),
    matmul("size_mismatch", ints((2, 3)), ints((2, 3))),
    matmul("not_matrix", ints((3,)), ints((3, 2))),
    matmul("rank3", ints((1, 2, 3)), ints((3, 2))),

    # BatchMatMulV2.
    bmm("float", ints((2, 2, 3)), ints((2, 3, 4))),
    bmm("broadcast", ints((2, 1, 3, 4)), ints((5, 4, 2))),
    bmm("broadcast_rank2_left", ints((3, 4)), ints((2, 4, 2))),
    bmm("broadcast_rank2_right", ints((2, 3, 4)), ints((4, 1))),
    bmm("adj_x", ints((2, 3, 2)), ints((2, 3, 4)), adj_x=True),
    bmm("adj_y", ints((2, 2, 3)), ints((1, 4, 3)), adj_y=True),
    bmm("adj_both_reals", positive((3, 17, 5)), positive((3, 6, 17)), adj_x=True, adj_y=True),
    bmm("matrices", ints((3, 2)), ints((2, 3))),
    bmm("double", positive((2, 3, 4), f64), positive((2, 4, 3), f64)),
    bmm("int16", ints((2, 2, 2), i16), ints((2, 2), i16)),
    bmm("int32", ints((1, 2, 2), i32), ints((3, 2, 2), i32)),
    bmm("int64", ints((2, 2, 3), i64), ints((2, 3, 1), i64)),
    bmm("empty_batch", np.zeros((0, 2, 3), f32), ints((3, 4))),
    bmm("inner_empty", np.zeros((2, 2, 0), f32), np.zeros((2, 0, 3), f32)),
    bmm("incompatible_batch", ints((2, 2, 3)), ints((3, 3, 4))),
    bmm("inner_mismatch", ints((2, 2, 3)), ints((2, 2, 4))),
    bmm("rank1", ints((3,)), ints((3, 2))),

    # BatchMatMul (no broadcasting).
    bmm_v1("float", ints((2, 2, 3)), ints((2, 3, 4))),
    bmm_v1("adj", ints((2, 3, 2)), ints((2, 4, 3)), adj_x=True, adj_y=True),
    bmm_v1("int64", ints((1, 2, 2, 2), i64), ints((1, 2, 2, 2), i64)),
    bmm_v1("matrices", positive((5, 3), f64), positive((3, 2), f64)),
    bmm_v1("different_ranks", ints((3, 4)), ints((2, 4, 2))),
    bmm_v1("batch_mismatch", ints((1, 2, 3)), ints((2, 3, 4))),
    bmm_v1("inner_mismatch", ints((2, 2, 3)), ints((2, 2, 3))),
]
