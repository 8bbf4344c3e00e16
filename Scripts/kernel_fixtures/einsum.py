# SPDX-License-Identifier: Apache-2.0
"""Kernel fixture cases for Einsum; see generate.py."""
import numpy as np

from generate import Case

f32, f64, i32 = np.float32, np.float64, np.int32
rng = np.random.default_rng(20261123)


def ints(shape, dtype=f32):
    """Small integers: every product and sum is exact, whatever the summation order."""
    return rng.integers(-4, 5, size=shape).astype(dtype)


def reals(shape, dtype=f32):
    return rng.uniform(0.5, 1.5, size=shape).astype(dtype)


def einsum(name, equation, *operands):
    return Case(f"einsum_{name}", "Einsum", {"inputs": list(operands)}, {"equation": equation})


CASES = [
    einsum("matmul", "ij,jk->ik", ints((2, 3)), ints((3, 4))),
    einsum("matmul_transposed_out", "ij,jk->ki", ints((2, 3)), ints((3, 4))),
    # The equations Keras MultiHeadAttention and EinsumDense freeze into.
    einsum("dense_query", "abc,cde->abde", ints((2, 5, 6)), ints((6, 3, 4))),
    einsum("attention_scores", "aecd,abcd->acbe", ints((2, 5, 3, 4)), ints((2, 7, 3, 4))),
    einsum("attention_values", "acbe,aecd->abcd", ints((2, 3, 7, 5)), ints((2, 5, 3, 4))),
    einsum("attention_output", "abcd,cde->abe", ints((2, 7, 3, 4)), ints((3, 4, 6))),
    einsum("reals", "abc,cd->abd", reals((3, 4, 16)), reals((16, 5))),
    einsum("double", "bij,bjk->bik", reals((2, 3, 4), f64), reals((2, 4, 5), f64)),
    # One operand: transpose, trace-free sums, plain copy.
    einsum("transpose", "ij->ji", ints((3, 4))),
    einsum("sum_axis", "ijk->ik", ints((2, 3, 4))),
    einsum("sum_all", "ij->", ints((3, 4))),
    # A label in one operand only, summed out before the product.
    einsum("one_sided_sum", "ij,k->ik", ints((2, 3)), ints((4,))),
    einsum("outer", "i,j->ij", ints((3,)), ints((4,))),
    einsum("dot", "i,i->", ints((5,)), ints((5,))),
    # Ellipsis, with broadcasting of size-1 and missing leading dimensions.
    einsum("ellipsis", "...ij,...jk->...ik", ints((2, 3, 4)), ints((2, 4, 5))),
    einsum("ellipsis_broadcast", "...ij,...jk->...ik", ints((2, 1, 3, 4)), ints((5, 4, 2))),
    einsum("ellipsis_one_operand", "...ij->...ji", ints((2, 3, 4))),
    einsum("empty", "ij,jk->ik", np.zeros((0, 3), f32), ints((3, 4))),
    einsum("empty_contraction", "ij,jk->ik", np.zeros((2, 0), f32), np.zeros((0, 4), f32)),
    # Errors and limitations.
    einsum("size_mismatch", "ij,jk->ik", ints((2, 3)), ints((4, 5))),
    einsum("rank_mismatch", "ijk,jk->ik", ints((2, 3)), ints((3, 4))),
]
