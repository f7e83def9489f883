"""ops.image geometric/filter ops against keras.ops.image (JAX backend), within 1e-5."""

import os

os.environ["KERAS_BACKEND"] = "jax"

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from nbkeras import ops  # noqa: E402

rng = np.random.default_rng(3)
IMG = rng.uniform(size=(2, 7, 9, 3)).astype(np.float32)
ONE = IMG[0]
NCHW = np.transpose(IMG, (0, 3, 1, 2)).copy()
VOL = rng.uniform(size=(2, 4, 6, 6, 2)).astype(np.float32)
AFF = np.array([[1.2, 0.3, -1.5, -0.2, 0.9, 0.7, 0, 0],
                [1.0, 0.0, 2.0, 0.0, 1.0, -1.0, 0, 0]], np.float32)
START = np.array([[[0, 0], [0, 6], [8, 0], [8, 6]]] * 2, np.float32)
END = np.array([[[1, 0.5], [0, 6.5], [7, -1], [8.5, 5]],
                [[0.5, 1], [1, 5], [9, 0.2], [7, 6]]], np.float32)

CASES = [
    ("affine_transform", (IMG, AFF), {}),
    ("affine_transform", (IMG, AFF), {"interpolation": "nearest", "fill_mode": "reflect"}),
    ("affine_transform", (IMG, AFF), {"fill_mode": "constant", "fill_value": 0.5}),
    ("affine_transform", (ONE, AFF[0]), {"fill_mode": "mirror"}),
    ("affine_transform", (NCHW, AFF), {"data_format": "channels_first"}),
    ("perspective_transform", (IMG, START, END), {}),
    ("perspective_transform", (ONE, START[0], END[0]), {"interpolation": "nearest",
                                                        "fill_value": 0.3}),
    ("perspective_transform", (NCHW, START, END), {"data_format": "channels_first"}),
    ("gaussian_blur", (IMG, (5, 3), (1.5, 0.7)), {"data_format": "channels_last"}),
    ("gaussian_blur", (NCHW, (3, 5), (0.5, 2.0)), {"data_format": "channels_first"}),
    ("elastic_transform", (IMG, 3.0, 1.0), {"seed": 7}),
    ("elastic_transform", (IMG, 2.0, 0.8), {"seed": 1, "fill_mode": "constant",
                                            "interpolation": "nearest"}),
    ("scale_and_translate", (IMG, (2, 10, 12, 3), np.array([1.4, 1.3], np.float32),
                             np.array([0.5, -1.0], np.float32), (1, 2), "bilinear"), {}),
    ("scale_and_translate", (ONE, (5, 5, 3), np.array([0.7, 0.6], np.float32),
                             np.array([0.2, 0.1], np.float32), (0, 1), "lanczos3"),
     {"antialias": False}),
    ("sobel_edges", (IMG,), {}),
    ("sobel_edges", (NCHW,), {"data_format": "channels_first"}),
    ("ssim", (IMG, np.clip(IMG + 0.1 * rng.normal(size=IMG.shape), 0, 1).astype("float32")),
     {"filter_size": 5}),
    ("ssim", (255 * ONE, 255 * IMG[1]), {"max_val": 255.0, "filter_size": 3,
                                         "filter_sigma": 0.8}),
    ("extract_patches_3d", (VOL, (2, 3, 3)), {}),
    ("extract_patches_3d", (VOL[0], 2), {"strides": 1, "padding": "same"}),
]


@pytest.mark.parametrize("name,args,kwargs", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_matches_keras(name, args, kwargs):
    want = np.asarray(getattr(keras.ops.image, name)(*args, **kwargs))
    got = getattr(ops.image, name)(*args, **kwargs)
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-5, atol=1e-5)


def test_jit_safe_with_traced_transforms():
    aff = jax.jit(lambda x, t: ops.image.affine_transform(x, t))(IMG, AFF)
    np.testing.assert_allclose(np.asarray(aff), np.asarray(ops.image.affine_transform(IMG, AFF)),
                               atol=1e-6)
    persp = jax.jit(ops.image.perspective_transform)(IMG, START, END)
    assert persp.shape == IMG.shape
    key = jax.random.key(0)
    el = jax.jit(lambda x, k: ops.image.elastic_transform(x, 2.0, 1.0, seed=k))(IMG, key)
    assert el.shape == IMG.shape and np.isfinite(np.asarray(el)).all()


def test_identity_transforms_and_errors():
    ident = np.array([1, 0, 0, 0, 1, 0, 0, 0], np.float32)
    np.testing.assert_allclose(np.asarray(ops.image.affine_transform(IMG, ident)), IMG,
                               atol=1e-6)
    np.testing.assert_allclose(
        np.asarray(ops.image.perspective_transform(IMG, START, START)), IMG, atol=1e-4)
    with pytest.raises(ValueError, match="interpolation"):
        ops.image.affine_transform(IMG, ident, interpolation="cubic")
    with pytest.raises(ValueError, match="fill_mode"):
        ops.image.affine_transform(IMG, ident, fill_mode="edge")
    with pytest.raises(ValueError, match=r"transform.*\(8,\)"):
        ops.image.affine_transform(IMG, ident[:6])
    with pytest.raises(ValueError, match="start_points shape"):
        ops.image.perspective_transform(IMG, START[:, :3], END)
    with pytest.raises(ValueError, match="rank"):
        ops.image.gaussian_blur(jnp.ones((4, 4)))
    with pytest.raises(ValueError, match="same shape"):
        ops.image.ssim(IMG, IMG[:, :5])
    with pytest.raises(ValueError, match="method"):
        ops.image.scale_and_translate(ONE, (4, 4, 3), jnp.ones(2), jnp.zeros(2), (0, 1), "x")
