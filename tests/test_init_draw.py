"""nbkeras._init_draw: initial weights equal jax.random's, without a compile per shape."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax._src import monitoring

from nbkeras import _init_draw, _rng

SHAPES = [(7,), (3, 3, 4, 8), (1025,)]
KEYS = {
    "typed": lambda: jax.random.key(12345),
    "raw": lambda: jnp.array([7, 0], dtype=jnp.uint32),  # Keras's int-seed key
    "folded": lambda: jax.random.fold_in(jax.random.key(3), 11),
}


@pytest.mark.parametrize("key_kind", sorted(KEYS))
def test_draws_equal_jax_random_bit_for_bit(key_kind):
    key = KEYS[key_kind]()
    big = (784, 512)
    ours = _init_draw.uniform(key, big, -0.05, 0.05, "float32")
    ref = jax.random.uniform(key, big, "float32", -0.05, 0.05)
    np.testing.assert_array_equal(np.asarray(ours), np.asarray(ref))
    for shape in SHAPES:
        ours = _init_draw.uniform(key, shape, -0.3, 0.7, "float32")
        ref = jax.random.uniform(key, shape, "float32", -0.3, 0.7)
        np.testing.assert_array_equal(np.asarray(ours), np.asarray(ref))
        ours = _init_draw.normal(key, shape, 0.1, 0.05, "float32")
        ref = jax.random.normal(key, shape, "float32") * 0.05 + 0.1
        np.testing.assert_array_equal(np.asarray(ours), np.asarray(ref))
        ours = _init_draw.truncated_normal(key, shape, 0.0, 0.37, "float32")
        ref = jax.random.truncated_normal(key, -2.0, 2.0, shape, "float32") * 0.37
        np.testing.assert_array_equal(np.asarray(ours), np.asarray(ref))


def test_large_uniform_goes_through_the_device_and_still_matches(monkeypatch):
    monkeypatch.setattr(_init_draw, "HOST_MAX", 16)
    key = jax.random.key(1)
    ours = _init_draw.uniform(key, (40, 3), -1.0, 1.0, "float32")
    np.testing.assert_array_equal(
        np.asarray(ours), np.asarray(jax.random.uniform(key, (40, 3), "float32", -1.0, 1.0))
    )


def test_normal_compiles_once_per_size_bucket():
    key = jax.random.key(0)
    before = _init_draw.trace_count()
    for shape in [(3, 5), (7,), (10, 10), (2, 3, 4)]:  # all in the smallest bucket
        _init_draw.normal(key, shape, 0.0, 1.0, "float32")
    assert _init_draw.trace_count() - before <= 1
    _init_draw.normal(key, (10, 10), 0.0, 1.0, "float32")
    _init_draw.normal(key, (2000,), 0.0, 1.0, "float32")  # the next bucket
    assert _init_draw.trace_count() - before <= 2


def test_other_dtypes_and_old_threefry_fall_back_to_jax_random():
    key = jax.random.key(2)
    ours = _init_draw.uniform(key, (5,), 0.0, 1.0, "bfloat16")
    assert ours.dtype == jnp.bfloat16
    np.testing.assert_array_equal(
        np.asarray(ours, np.float32),
        np.asarray(jax.random.uniform(key, (5,), "bfloat16"), np.float32),
    )
    with jax.threefry_partitionable(False):
        ours = _init_draw.normal(key, (6,), 0.0, 1.0, "float32")
        ref = jax.random.normal(key, (6,), "float32")
    np.testing.assert_array_equal(np.asarray(ours), np.asarray(ref))


def test_global_keys_equal_fold_in_of_the_seed():
    _rng.set_seed(1234)
    ours = [jax.random.key_data(_rng.next_key()) for _ in range(3)]
    ref = [jax.random.key_data(jax.random.fold_in(jax.random.key(1234), c)) for c in (1, 2, 3)]
    for a, b in zip(ours, ref):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_building_a_model_with_new_weight_shapes_compiles_nothing():
    import nbkeras as keras

    compiles = []

    def listen(event, duration, **kwargs):
        if event == "/jax/core/compile/backend_compile_duration":
            compiles.append(duration)

    model = keras.Sequential([keras.Input((37,)), keras.layers.Dense(23)])  # warm the keys
    monitoring.register_event_duration_secs_listener(listen)
    try:
        model = keras.Sequential(
            [
                keras.Input((29,)),
                keras.layers.Dense(41, activation="relu"),
                keras.layers.Dense(13, kernel_initializer="random_uniform",
                                   bias_initializer="ones"),
            ]
        )
    finally:
        monitoring.unregister_event_duration_listener(listen)
    assert model.built and compiles == []
