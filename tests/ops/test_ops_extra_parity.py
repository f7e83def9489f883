"""The ops added to reach Keras 3's ``keras.ops`` list, against keras.ops (JAX backend)."""

import os

os.environ["KERAS_BACKEND"] = "jax"

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from nbkeras import ops  # noqa: E402

rng = np.random.default_rng(1)
A = rng.normal(size=(3, 4)).astype(np.float32)
B = rng.normal(size=(3, 4)).astype(np.float32)
V = rng.normal(size=(6,)).astype(np.float32)
SQ = rng.normal(size=(3, 3)).astype(np.float32)
SPD = (SQ @ SQ.T + 3 * np.eye(3)).astype(np.float32)
NAN = np.where(A > 0.5, np.nan, A).astype(np.float32)
I = rng.integers(1, 9, size=(3, 4)).astype(np.int32)  # noqa: E741
J = rng.integers(1, 9, size=(3, 4)).astype(np.int32)
IMG = rng.uniform(size=(2, 6, 8, 3)).astype(np.float32)
NCHW = rng.normal(size=(2, 2, 5, 5)).astype(np.float32)
Q = rng.normal(size=(2, 5, 2, 4)).astype(np.float32)
K = rng.normal(size=(2, 7, 2, 4)).astype(np.float32)
SIG = rng.normal(size=(2, 64)).astype(np.float32)
THREE = rng.normal(size=(4, 3)).astype(np.float32)

CASES = [
    # numpy-like, elementwise
    *[(n, (A,), {}) for n in (
        "angle", "cbrt", "conj", "conjugate", "deg2rad", "rad2deg", "fabs", "imag", "real",
        "isneginf", "isposinf", "isreal", "signbit", "sinc", "erfc", "i0", "fliplr", "flipud",
        "corrcoef", "median", "ptp", "trace",
    )],
    *[(n, (A, B), {}) for n in (
        "fmax", "fmin", "fmod", "hypot", "heaviside", "logaddexp", "logaddexp2", "nextafter",
        "inner", "allclose",
    )],
    *[(n, (I, J), {}) for n in (
        "bitwise_and", "bitwise_or", "bitwise_xor", "gcd", "lcm", "bitwise_left_shift",
        "bitwise_right_shift", "left_shift", "right_shift",
    )],
    ("bitwise_invert", (I,), {}), ("bitwise_not", (I,), {}),
    ("kron", (A[:2, :2], B[:2, :2]), {}), ("vdot", (A, B), {}),
    ("ldexp", (A, I), {}),
    ("append", (A, B), {"axis": 0}), ("append", (A, B), {}),
    ("argpartition", (V, 2), {}),
    ("array_split", (V, 4), {}),
    ("average", (A,), {"axis": 1, "weights": np.abs(B[0])}),
    ("average", (I,), {}),
    ("bincount", (np.array([0, 3, 3, 1], np.int32),), {"minlength": 6}),
    ("bincount", (np.array([0, 3, 3, 1], np.int32),), {"weights": V[:4]}),
    ("cross", (THREE, THREE[::-1]), {}),
    ("correlate", (V, V[:3]), {}), ("correlate", (V, V[:3]), {"mode": "full"}),
    ("diagflat", (V[:3],), {"k": 1}),
    ("diff", (A,), {"n": 2, "axis": 0}),
    ("digitize", (V, np.array([-1.0, 0.0, 1.0], np.float32)), {}),
    ("dsplit", (np.ones((2, 2, 4), np.float32), 2), {}),
    ("hsplit", (A, 2), {}), ("vsplit", (A[:2], 2), {}),
    ("dstack", ([A, B],), {}), ("hstack", ([A, B],), {}), ("vstack", ([A, B],), {}),
    ("empty", ((2, 3),), {}), ("empty_like", (A,), {}),
    ("geomspace", (1.0, 50.0, 5), {}), ("logspace", (0.0, 2.0, 4), {"base": 2}),
    ("histogram", (V,), {"bins": 4}),
    ("isin", (I, J[0]), {}), ("isin", (I, J[0]), {"invert": True}),
    ("nan_to_num", (NAN,), {"nan": 3.0}),
    *[(n, (NAN,), {"axis": 1}) for n in (
        "nanargmax", "nanargmin", "nanmax", "nanmin", "nanmean", "nanmedian", "nanprod",
        "nansum", "nanstd", "nanvar", "nancumsum", "nancumprod",
    )],
    ("nanpercentile", (NAN, 40.0), {"axis": 1}), ("nanquantile", (NAN, 0.3), {}),
    ("percentile", (A, [10.0, 90.0]), {"axis": 0}), ("quantile", (A, 0.25), {"axis": 1}),
    ("quantile", (A, 0.5), {"keepdims": True}), ("median", (A,), {"axis": 0, "keepdims": True}),
    ("rot90", (A,), {"k": 3}),
    ("searchsorted", (np.sort(V), A[0]), {"side": "right"}),
    ("select", ([A > 0.5, A < -0.5], [A, B]), {"default": 9.0}),
    ("tri", (3, 4), {"k": -1}),
    ("trapezoid", (A,), {"dx": 0.5}),
    ("unravel_index", (np.array([1, 7], np.int32), (2, 4)), {}),
    ("vander", (V[:3],), {"N": 4, "increasing": True}),
    ("view", (A,), {"dtype": "int32"}),
    ("polar", (np.abs(A), B), {}),
    ("nonzero", (I > 4,), {}),
    ("unique", (I,), {"return_counts": True}),
    ("array", ([[1, 2]],), {}),
    *[(n, (7,), {}) for n in ("bartlett", "blackman", "hamming", "hanning")],
    ("kaiser", (6, 1.5), {}),
    ("get_item", (A, 1), {}),
    # core
    ("scatter", (np.array([[0, 1], [2, 3]]), np.array([1.0, 2.0], np.float32), (3, 4)), {}),
    ("scatter_update", (A, np.array([[0, 1], [2, 3]]), np.array([5.0, 6.0], np.float32)), {}),
    ("scatter_update", (A, np.array([[0, 1]]), np.array([5.0], np.float32)),
     {"reduction": "add"}),
    ("unstack", (A,), {"axis": 1}),
    ("saturate_cast", (A * 300, "uint8"), {}),
    ("view_as_real", (A + 1j * B,), {}),
    ("view_as_complex", (np.stack([A, B], -1),), {}),
    ("associative_scan", (jnp.add, V), {"reverse": True}),
    ("rearrange", (IMG, "b h w c -> b c (h w)"), {}),
    ("rearrange", (A, "(a b) c -> b a c"), {"a": 3}),
    # math / signal / linalg
    ("segment_min", (A, np.array([0, 0, 1]), 2), {}),
    ("segment_prod", (A, np.array([0, 1, 1]), 2), {}),
    ("cdist", (A, B), {}),
    ("extract_sequences", (SIG, 8, 3), {}),
    ("fft", ((A, B),), {}), ("fft2", ((A, B),), {}), ("ifft2", ((A, B),), {}),
    ("rfft", (SIG,), {"fft_length": 16}), ("irfft", ((A, B),), {"fft_length": 6}),
    ("stft", (SIG, 10, 3, 16), {"window": "hamming"}),
    ("stft", (SIG, 16, 8, 16), {"window": None, "center": False}),
    ("istft", (ops.stft(SIG, 16, 4, 16), 16, 4, 16), {"length": 64}),
    ("logdet", (SPD,), {}), ("slogdet", (SQ,), {}),
    ("cholesky", (SPD,), {}), ("cholesky", (SPD,), {"upper": True}),
    ("cholesky_inverse", (np.linalg.cholesky(SPD).astype(np.float32),), {}),
    ("det", (SQ,), {}), ("inv", (SPD,), {}), ("solve", (SPD, A[:, :3]), {}),
    ("solve_triangular", (np.tril(SPD), A[:, :3]), {"lower": True}),
    ("lstsq", (A.T, B.T), {}), ("matrix_rank", (A,), {}), ("pinv", (A,), {}),
    ("svd", (SPD,), {"compute_uv": False}), ("eigh", (SPD,), {}),
    ("lu_factor", (np.stack([SPD, SPD]),), {}),
    # nn
    *[(n, (A,), {}) for n in (
        "hard_shrink", "soft_shrink", "tanh_shrink", "sparse_plus", "sparse_sigmoid",
        "squareplus", "sparsemax",
    )],
    ("threshold", (A, 0.1, -5.0), {}),
    ("layer_normalization", (A,), {"gamma": B[0], "beta": B[1]}),
    ("rms_normalization", (A,), {"scale": B[0]}),
    ("psnr", (IMG, IMG[::-1]), {"max_val": 1.0}),
    ("dot_product_attention", (Q, K, K), {}),
    ("dot_product_attention", (Q, Q, Q), {"is_causal": True, "scale": 0.3}),
    ("dot_product_attention", (Q, K, K), {"mask": rng.uniform(size=(2, 1, 5, 7)) > 0.3,
                                          "bias": rng.normal(size=(1, 2, 5, 7)).astype("f4")}),
    ("conv_transpose", (IMG, rng.normal(size=(3, 3, 2, 3)).astype("f4"), 2), {}),
    ("conv_transpose", (IMG, rng.normal(size=(2, 3, 2, 3)).astype("f4"), (2, 1), "same"), {}),
    ("separable_conv", (IMG, rng.normal(size=(3, 3, 3, 2)).astype("f4"),
                        rng.normal(size=(1, 1, 6, 4)).astype("f4")), {"padding": "same"}),
    ("adaptive_max_pool", (IMG, 5), {}),
    ("adaptive_average_pool", (NCHW, (4, 3)), {"data_format": "channels_first"}),
    ("depth_to_space", (rng.normal(size=(1, 2, 3, 8)).astype("f4"), 2), {}),
    ("space_to_depth", (IMG, 2), {}),
    ("depth_to_space", (NCHW[:, :, :2, :2].repeat(2, 1), 2), {"data_format": "channels_first"}),
    ("unfold", (NCHW, 2), {"stride": 2, "padding": 1}),
    ("fold", (ops.unfold(NCHW, 3), 5, 3), {}),
]


def _compare(ours, theirs):
    if isinstance(theirs, (tuple, list)):
        assert isinstance(ours, (tuple, list)) and len(ours) == len(theirs)
        for o, t in zip(ours, theirs):
            _compare(o, t)
        return
    o, t = np.asarray(ours), np.asarray(theirs)
    assert o.shape == t.shape, (o.shape, t.shape)
    assert o.dtype == t.dtype, (o.dtype, t.dtype)
    if t.dtype == bool or np.issubdtype(t.dtype, np.integer):
        np.testing.assert_array_equal(o, t)
    elif np.iscomplexobj(t):
        np.testing.assert_allclose(o, t, rtol=1e-5, atol=1e-5)
    else:
        np.testing.assert_allclose(o.astype(np.float64), t.astype(np.float64), rtol=2e-5,
                                   atol=2e-5, equal_nan=True)


@pytest.mark.parametrize("name, args, kwargs", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_matches_keras_ops(name, args, kwargs):
    _compare(getattr(ops, name)(*args, **kwargs), getattr(keras.ops, name)(*args, **kwargs))


IMAGE_CASES = [
    ("resize", (IMG, (3, 5)), {}),
    ("resize", (IMG, (9, 4)), {"interpolation": "nearest"}),
    ("resize", (IMG, (4, 4)), {"interpolation": "bicubic", "antialias": True}),
    ("resize", (IMG, (4, 4)), {"crop_to_aspect_ratio": True}),
    ("resize", (IMG[0], (4, 4)), {"pad_to_aspect_ratio": True, "fill_value": 0.5}),
    ("rgb_to_grayscale", (IMG,), {}),
    ("rgb_to_hsv", (IMG,), {}),
    ("hsv_to_rgb", (IMG,), {}),
    ("pad_images", (IMG, 1, 2), {"target_height": 9, "target_width": 11}),
    ("pad_images", (IMG[0],), {"bottom_padding": 1, "right_padding": 0, "target_height": 8,
                               "target_width": 9}),
    ("crop_images", (IMG, 1, 2), {"target_height": 4, "target_width": 5}),
    ("extract_patches", (IMG, 2), {}),
    ("extract_patches", (IMG, (3, 2)), {"strides": 1, "padding": "same"}),
    ("map_coordinates", (A, rng.uniform(-1, 4, size=(2, 5)).astype("f4"), 1),
     {"fill_mode": "nearest"}),
    ("map_coordinates", (A, rng.uniform(0, 3, size=(2, 5)).astype("f4"), 0), {}),
]


@pytest.mark.parametrize("name, args, kwargs", IMAGE_CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(IMAGE_CASES)])
def test_image_ops_match_keras(name, args, kwargs):
    _compare(getattr(ops.image, name)(*args, **kwargs),
             getattr(keras.ops.image, name)(*args, **kwargs))


def test_linalg_namespace_and_decompositions():
    for name in ("cholesky", "det", "inv", "norm", "qr", "solve", "svd", "eig", "jvp"):
        assert getattr(ops.linalg, name) is getattr(ops, name)
    q, r = ops.qr(A.T)
    np.testing.assert_allclose(q @ r, A.T, atol=1e-5)
    u, s, vh = ops.svd(A, full_matrices=False)
    np.testing.assert_allclose((u * s) @ vh, A, atol=1e-5)
    w, v = ops.eig(SPD)
    np.testing.assert_allclose(np.sort(np.real(w)), np.sort(np.linalg.eigvalsh(SPD)), rtol=1e-4)
    out, tangent = ops.jvp(jnp.sin, (jnp.asarray(V),), (jnp.ones(6),))
    np.testing.assert_allclose(tangent, np.cos(V), rtol=1e-6)


def test_ctc_loss_matches_keras():
    logits = rng.normal(size=(2, 6, 4)).astype(np.float32)
    target = np.array([[1, 2, 0], [3, 0, 0]], np.int32)
    args = (target, logits, np.array([2, 1]), np.array([6, 4]))
    _compare(ops.ctc_loss(*args), keras.ops.ctc_loss(*args))


def test_custom_gradient_and_switch():
    @ops.custom_gradient
    def scaled(x):
        return x * 2.0, lambda g: g * 100.0

    assert float(jax.grad(lambda x: scaled(x))(1.0)) == 100.0
    branches = [lambda x: x + 1.0, lambda x: x * 3.0]
    assert float(ops.switch(1, branches, 2.0)) == float(keras.ops.switch(1, branches, 2.0))
    assert float(jax.jit(lambda i: ops.switch(i, branches, 2.0))(0)) == 3.0


def test_new_ops_build_functional_graphs():
    import nbkeras

    x = nbkeras.Input((6, 8, 3))
    y = ops.image.resize(x, (3, 4))
    z = ops.hstack([ops.nanmean(y, axis=(1, 2)), ops.logaddexp(y[:, 0, 0], 0.0)])
    model = nbkeras.Model(x, z)
    np.testing.assert_allclose(
        model.predict(IMG, verbose=0),
        np.hstack([np.asarray(keras.ops.image.resize(IMG, (3, 4))).mean(axis=(1, 2)),
                   np.logaddexp(np.asarray(keras.ops.image.resize(IMG, (3, 4)))[:, 0, 0], 0)]),
        rtol=1e-5, atol=1e-5,
    )


@pytest.mark.parametrize("call, match", [
    (lambda: ops.fft(A), "tuple of two tensors"),
    (lambda: ops.fft((I, I)), "not of type float"),
    (lambda: ops.qr(A, mode="raw"), "mode"),
    (lambda: ops.cholesky(-SPD), "positive definite"),
    (lambda: ops.pinv(V), "rank >= 2"),
    (lambda: ops.ldexp(A, A), "integer type"),
    (lambda: ops.searchsorted(A, V), "1-D"),
    (lambda: ops.scatter_update(A, [[0, 0]], [1.0], reduction="avg"), "Unsupported reduction"),
    (lambda: ops.image.resize(IMG, (2, 2), interpolation="area"), "interpolation"),
    (lambda: ops.image.resize(IMG[0, 0], (2, 2)), "rank"),
    (lambda: ops.image.pad_images(IMG, 1), "Exactly two"),
    (lambda: ops.dot_product_attention(A, A, A), "4D"),
    (lambda: ops.dot_product_attention(Q, Q, Q, flash_attention=True), "Flash attention"),
    (lambda: ops.rearrange(A, "a b c -> a"), "3 input axes"),
    (lambda: ops.stft(SIG, 16, 4, 8), "fft_length"),
])
def test_errors_name_the_problem(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()
