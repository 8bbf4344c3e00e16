# SPDX-License-Identifier: Apache-2.0
"""Kernel fixture cases for the reduction family; see generate.py.

Sum, Prod, Mean, Max, Min, All, Any over axis sets (int32 and int64, scalar and vector,
negative, keep_dims), empty inputs and empty axis lists, integer wrap-around and
truncating means, NaN, and the axes TensorFlow rejects; ArgMax and ArgMin with ties,
NaN, every output_type, and their errors. Float sums stay well conditioned: TensorFlow
sums in a tree, the evaluator in order, and only rounding may differ.
"""
import numpy as np
import tensorflow as tf

from generate import Case

f32, f64 = np.float32, np.float64
i8, i16, i32, i64 = np.int8, np.int16, np.int32, np.int64
u8, u16, u32, u64 = np.uint8, np.uint16, np.uint32, np.uint64
nan, inf = np.nan, np.inf
t, f = True, False


def a(values, dtype):
    return np.array(values, dtype=dtype)


def reduce(name, op, x, axis, keep_dims=None):
    attrs = {} if keep_dims is None else {"keep_dims": keep_dims}
    return Case(name, op, {"input": x, "axis": axis}, attrs)


def arg(name, op, x, dimension, output_type=None):
    attrs = {} if output_type is None else {"output_type": output_type}
    return Case(name, op, {"input": x, "dimension": dimension}, attrs)


m23 = a([[1, 2, 3], [4, 5, 6]], f32)
r234 = np.arange(24, dtype=f32).reshape(2, 3, 4) - 10
CASES = []

# Every arithmetic reduction over every real dtype, along the inner axis.
for op in ["Sum", "Prod", "Mean", "Max", "Min"]:
    for tag, dtype in [("f32", f32), ("f64", f64), ("i8", i8), ("i16", i16), ("i32", i32), ("i64", i64),
                       ("u8", u8), ("u16", u16), ("u32", u32), ("u64", u64)]:
        values = [[3, 1, 4, 1], [5, 9, 2, 6], [5, 3, 5, 8]]
        if dtype in (f32, f64, i8, i16, i32, i64):
            values = [[3, -1, 4, 1], [-5, 9, -2, 6], [5, 3, 5, -8]]
        CASES.append(reduce(f"{op.lower()}_{tag}", op, a(values, dtype), a(1, i32)))

CASES += [
    # Axis forms.
    reduce("sum_axis0", "Sum", m23, a(0, i32)),
    reduce("sum_axis_negative", "Sum", m23, a(-1, i32)),
    reduce("sum_axis_int64", "Sum", m23, a([1], i64)),
    reduce("sum_all_axes", "Sum", m23, a([0, 1], i32)),
    reduce("sum_all_axes_reversed", "Sum", m23, a([1, 0], i64)),
    reduce("sum_no_axes", "Sum", m23, np.zeros((0,), i32)),
    reduce("sum_axis_matrix", "Sum", m23, a([[0]], i32)),
    reduce("sum_keep_dims", "Sum", r234, a([0, 2], i64), True),
    reduce("sum_keep_dims_false", "Sum", r234, a([0, 2], i64), False),
    reduce("sum_keep_dims_all", "Sum", m23, a([0, 1], i32), True),
    reduce("sum_rank3_middle", "Sum", r234, a(1, i32)),
    reduce("sum_rank3_outer_inner", "Sum", r234, a([-1, 0], i32)),
    reduce("sum_rank3_outer", "Sum", r234, a(0, i32)),
    reduce("sum_rank4_strided", "Sum", np.arange(48, dtype=i32).reshape(2, 3, 2, 4), a([1, 3], i32)),
    reduce("sum_size_one_axes", "Sum", np.arange(6, dtype=f32).reshape(1, 2, 1, 3), a([0, 2], i32)),
    reduce("sum_scalar_input", "Sum", a(3.5, f32), np.zeros((0,), i32)),
    reduce("sum_scalar_input_keep_dims", "Sum", a(3.5, f32), np.zeros((0,), i32), True),
    reduce("sum_scalar_input_axis0", "Sum", a(3.5, f32), a(0, i32)),
    reduce("sum_axis_out_of_range", "Sum", m23, a([2], i32)),
    reduce("sum_axis_negative_out_of_range", "Sum", m23, a([-3], i32)),
    reduce("sum_duplicate_axes", "Sum", m23, a([0, 0], i32)),
    reduce("sum_duplicate_negative_axes", "Sum", m23, a([1, -1], i64)),
    # Wrap-around and empty reductions.
    reduce("sum_i8_wraps", "Sum", a([100, 100, 100], i8), a(0, i32)),
    reduce("sum_u64_wraps", "Sum", a([2**64 - 1, 2], u64), a(0, i32)),
    reduce("prod_i32_wraps", "Prod", a([65536, 65536, 3], i32), a(0, i32)),
    reduce("sum_empty_f32", "Sum", np.zeros((0, 3), f32), a(0, i32)),
    reduce("sum_empty_i32", "Sum", np.zeros((0, 3), i32), a([0, 1], i32)),
    reduce("sum_empty_keeps_other_axis", "Sum", np.zeros((0, 3), f32), a(1, i32)),
    reduce("prod_empty_f32", "Prod", np.zeros((3, 0), f32), a(1, i32)),
    reduce("prod_empty_u8", "Prod", np.zeros((0, 2), u8), a(0, i32)),
    reduce("mean_empty_f32", "Mean", np.zeros((0, 3), f32), a(0, i32)),
    reduce("mean_empty_f64_all", "Mean", np.zeros((2, 0), f64), a([0, 1], i32)),
    reduce("mean_empty_i32", "Mean", np.zeros((0, 3), i32), a(0, i32)),
    reduce("max_empty_f32", "Max", np.zeros((0, 3), f32), a(0, i32)),
    reduce("max_empty_i32", "Max", np.zeros((0, 3), i32), a(0, i32)),
    reduce("max_empty_u8", "Max", np.zeros((0, 3), u8), a(0, i32)),
    reduce("min_empty_f64", "Min", np.zeros((0, 3), f64), a(0, i32)),
    reduce("min_empty_i64", "Min", np.zeros((0, 3), i64), a(0, i32)),
    reduce("min_empty_u16", "Min", np.zeros((0, 3), u16), a(0, i32)),
    # Mean: integer means truncate toward zero and do not overflow narrow types.
    reduce("mean_i32_truncates", "Mean", a([[1, 2], [-3, -4], [-7, 0]], i32), a(1, i32)),
    reduce("mean_i8_no_overflow", "Mean", a([100, 100, 100], i8), a(0, i32)),
    reduce("mean_i16_negative_no_overflow", "Mean", a([-30000, -30000, -29999], i16), a(0, i32)),
    reduce("mean_u8_no_overflow", "Mean", a([200, 200, 201], u8), a(0, i32)),
    reduce("mean_i32_large", "Mean", a([2**30, 2**30, 2**30, 2**30], i32), a(0, i32)),
    reduce("mean_f32_keep_dims", "Mean", r234, a([1], i32), True),
    reduce("mean_f64_all", "Mean", a([[1, 2], [3, 5]], f64), a([0, 1], i32)),
    reduce("mean_f32_inf", "Mean", a([inf, 1, -inf, 1], f32).reshape(2, 2), a(0, i32)),
    # NaN propagates through Max and Min.
    reduce("max_f32_nan", "Max", a([[1, nan, 3], [nan, 1, 3], [1, 2, 3]], f32), a(1, i32)),
    reduce("min_f32_nan", "Min", a([[1, nan, 3], [nan, 1, 3], [1, 2, 3]], f32), a(1, i32)),
    reduce("max_f64_nan_outer_axis", "Max", a([[1, nan], [5, 2], [3, 4]], f64), a(0, i32)),
    reduce("sum_f32_nan_inf", "Sum", a([[1, nan], [inf, -inf]], f32), a(1, i32)),
    reduce("max_f32_infinities", "Max", a([-inf, -inf], f32), a(0, i32)),
    reduce("min_i64_extremes", "Min", a([-9223372036854775808, 9223372036854775807], i64), a(0, i32)),
    reduce("max_rank3_two_axes", "Max", r234, a([0, 2], i32), True),
    reduce("sum_f32_long", "Sum", np.linspace(0, 1, 100002, dtype=f32).reshape(7, 14286), a(1, i32)),
    reduce("mean_f32_long", "Mean", (np.arange(65536, dtype=f32) % 97) / 7, a(0, i32)),
    reduce("sum_f32_long_outer_axis", "Sum", np.linspace(-3, 5, 30000, dtype=f32).reshape(3000, 10), a(0, i32)),
    reduce("prod_f64_rank3", "Prod", np.linspace(0.5, 2, 24).reshape(2, 3, 4), a([1, 2], i32)),
    # All and Any.
    reduce("all", "All", a([[t, f], [t, t]], bool), a(1, i32)),
    reduce("any", "Any", a([[t, f], [f, f]], bool), a(1, i32)),
    reduce("all_axis0_keep_dims", "All", a([[t, f], [t, t]], bool), a(0, i64), True),
    reduce("any_all_axes", "Any", a([[f, f], [f, t]], bool), a([0, 1], i32)),
    reduce("all_empty", "All", np.zeros((0,), bool), a(0, i32)),
    reduce("any_empty", "Any", np.zeros((0,), bool), a(0, i32)),
    reduce("all_no_axes", "All", a([t, f], bool), np.zeros((0,), i32)),
    reduce("any_bad_axis", "Any", a([t, f], bool), a(1, i32)),
    # ArgMax and ArgMin.
    arg("argmax_axis0", "ArgMax", a([[1, 5, 3], [4, 2, 6]], f32), a(0, i32)),
    arg("argmax_axis1", "ArgMax", a([[1, 5, 3], [4, 2, 6]], f32), a(1, i32)),
    arg("argmin_axis1", "ArgMin", a([[1, 5, 3], [4, 2, 6]], f32), a(1, i64)),
    arg("argmax_negative_axis", "ArgMax", a([[1, 2], [4, 3]], f32), a(-1, i32)),
    arg("argmin_negative_axis", "ArgMin", a([[1, 2], [4, 3]], f64), a(-2, i64)),
    arg("argmax_ties_first", "ArgMax", a([1, 3, 3, 0], f32), a(0, i32)),
    arg("argmin_ties_first", "ArgMin", a([[1, 0, 0], [2, 2, 2]], i32), a(1, i32)),
    arg("argmax_ties_outer_axis", "ArgMax", a([[7, 1], [7, 1], [2, 1]], i64), a(0, i32)),
    arg("argmax_nan_skipped", "ArgMax", a([1, nan, 3, nan], f32), a(0, i32)),
    arg("argmin_nan_skipped", "ArgMin", a([1, nan, 0, nan], f32), a(0, i32)),
    arg("argmax_nan_first", "ArgMax", a([nan, 5, 3], f32), a(0, i32)),
    arg("argmin_nan_first", "ArgMin", a([nan, 5, 3], f64), a(0, i32)),
    arg("argmax_all_nan", "ArgMax", a([nan, nan], f32), a(0, i32)),
    arg("argmax_nan_outer_axis", "ArgMax", a([[nan, 1], [2, nan], [1, 0]], f32), a(0, i32)),
    arg("argmax_all_negative_infinity", "ArgMax", a([-inf, -inf, -inf], f32), a(0, i32)),
    arg("argmin_all_infinity", "ArgMin", a([inf, inf], f64), a(0, i32)),
    arg("argmax_i8_minimum", "ArgMax", a([-128, -128], i8), a(0, i32)),
    arg("argmin_u64", "ArgMin", a([2**64 - 1, 2**63, 2**64 - 2], u64), a(0, i32)),
    arg("argmax_u8", "ArgMax", a([[0, 255], [255, 0]], u8), a(1, i32)),
    arg("argmax_i16", "ArgMax", a([-300, 300, 2], i16), a(0, i32)),
    arg("argmin_u32", "ArgMin", a([4000000000, 3, 7], u32), a(0, i32)),
    arg("argmax_u16", "ArgMax", a([1, 65535], u16), a(0, i32)),
    arg("argmax_bool", "ArgMax", a([[f, t, t], [f, f, f]], bool), a(1, i32)),
    arg("argmin_bool", "ArgMin", a([t, f, f], bool), a(0, i32)),
    arg("argmax_rank3_middle", "ArgMax", r234 * a([1, -1, 1, -1], f32), a(1, i32)),
    arg("argmax_output_int32", "ArgMax", a([[1, 2], [4, 3]], f32), a(0, i64), tf.int32),
    arg("argmax_output_int16", "ArgMax", a([[1, 2], [4, 3]], f32), a(1, i32), tf.int16),
    arg("argmin_output_int32", "ArgMin", a([[1, 2], [4, 3]], u8), a(1, i32), tf.int32),
    arg("argmax_output_uint16", "ArgMax", a([[1, 2], [4, 3]], i32), a(1, i32), tf.uint16),
    arg("argmax_output_int64", "ArgMax", a([[1, 2], [4, 3]], i64), a(1, i32), tf.int64),
    arg("argmax_empty_other_axis", "ArgMax", np.zeros((3, 0), f32), a(0, i32)),
    arg("argmax_empty_axis", "ArgMax", np.zeros((0, 3), f32), a(0, i32)),
    arg("argmin_scalar_input", "ArgMin", a(1, f32), a(0, i32)),
    arg("argmax_axis_out_of_range", "ArgMax", a([1], f32), a(1, i32)),
    arg("argmax_axis_negative_out_of_range", "ArgMax", a([[1]], f32), a(-3, i32)),
    arg("argmax_axis_vector", "ArgMax", a([[1, 2], [4, 3]], f32), a([1], i32)),
]
