"""Narrow Dense layers' kernel gradient as an (out, in) GEMM (CPU): the same forward,
gradients equal to the plain product's to float rounding, every autodiff mode."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import nbkeras as keras
from nbkeras.layers import matmul_lowering as ML

RNG = np.random.default_rng(0)


def _plain(monkeypatch):
    monkeypatch.setattr(ML, "AUTO_NARROW_GRADIENT", False)


@pytest.mark.parametrize("shape,units", [((32, 784), 10), ((8, 5, 12), 3), ((4, 7), 16)])
def test_narrow_dense_outputs_and_gradients_equal_the_plain_product(shape, units,
                                                                    monkeypatch):
    layer = keras.layers.Dense(units, activation="tanh")
    x = jnp.asarray(RNG.normal(size=shape).astype("float32"))
    layer(x)
    kernel, bias = layer.kernel[...], layer.bias[...]
    assert ML.use_narrow_gradient(x, kernel)

    def loss(kernel, x):
        return jnp.sum(jnp.tanh(ML.dense_matmul(x, kernel) + bias) ** 2)

    def run():
        return (np.asarray(layer(x)), *map(np.asarray, jax.grad(loss, (0, 1))(kernel, x)))

    narrow = run()
    _plain(monkeypatch)
    assert not ML.use_narrow_gradient(x, kernel)
    plain = run()
    np.testing.assert_array_equal(narrow[0], plain[0])  # the forward is the same product
    for a, b in zip(narrow[1:], plain[1:]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_forward_mode_hessian_and_vmap_agree(monkeypatch):
    x = jnp.asarray(RNG.normal(size=(6, 4)).astype("float32"))
    w = jnp.asarray(RNG.normal(size=(4, 3)).astype("float32"))

    def f(w, x):
        return jnp.sum(jnp.sin(ML.dense_matmul(x, w)))

    def all_modes():
        return [jax.jvp(lambda w: ML.dense_matmul(x, w), (w,), (jnp.ones_like(w),))[1],
                jax.hessian(f)(w, x), jax.hessian(f, 1)(w, x),
                jax.vmap(jax.grad(f), (None, 0))(w, jnp.stack([x, 2 * x]))]

    narrow = all_modes()
    _plain(monkeypatch)
    for a, b in zip(narrow, all_modes()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_a_narrow_model_trains_like_the_plain_product(monkeypatch):
    x = RNG.random((64, 20), dtype=np.float32)
    y = RNG.integers(0, 4, 64).astype(np.int32)

    def train():
        keras.utils.set_random_seed(3)
        model = keras.Sequential([keras.Input((20,)), keras.layers.Dense(8, "relu"),
                                  keras.layers.Dense(4, activation="softmax")])
        model.compile("adam", "sparse_categorical_crossentropy")
        hist = model.fit(x, y, batch_size=16, epochs=3, verbose=0)
        return hist.history["loss"], model.get_weights()

    loss, weights = train()
    _plain(monkeypatch)
    loss_plain, weights_plain = train()
    np.testing.assert_allclose(loss, loss_plain, rtol=1e-5)
    for a, b in zip(weights, weights_plain):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("x_shape,x_dtype,kernel_shape,expected", [
    ((8, 5), "float32", (5, 16), True),
    ((8, 5), "float32", (5, 17), False),  # wide: XLA's own product is as fast
    ((5,), "float32", (5, 4), False),  # no batch axis
    ((8, 5), "bfloat16", (5, 4), True),
    ((8, 5), "float32", (5, 4, 2), False),
    ((8, 5), "int32", (5, 4), False),
])
def test_which_products_take_the_narrow_gradient(x_shape, x_dtype, kernel_shape, expected):
    x = jnp.zeros(x_shape, x_dtype)
    assert ML.use_narrow_gradient(x, jnp.zeros(kernel_shape, x_dtype)) is expected


def test_only_on_cpu(monkeypatch):
    monkeypatch.setattr(jax, "default_backend", lambda: "gpu")
    assert not ML.use_narrow_gradient(jnp.zeros((8, 5)), jnp.zeros((5, 4)))
