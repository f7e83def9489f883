"""Keras's default ``get_config`` for custom layers (nbkeras/layers/auto_config.py): the
constructor's plain arguments, compared with Keras 3, and the ``.keras`` round trip of a
custom layer that never wrote ``get_config``."""

import json
import os

os.environ["KERAS_BACKEND"] = "jax"

import keras as real_keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from flax import nnx  # noqa: E402

import nbkeras  # noqa: E402
from nbkeras.layers.auto_config import AutoConfigError  # noqa: E402


def _classes(keras):
    class Scale(keras.layers.Layer):
        def __init__(self, units, rate=0.5, mode="sum", sizes=(1, 2), **kwargs):
            super().__init__(**kwargs)
            self.units, self.rate = units, rate

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="ones")

        def call(self, x):
            return keras.ops.matmul(x, self.w) * self.rate

    class Plain(keras.layers.Layer):
        def call(self, x):
            return x

    class NoKwargs(keras.layers.Layer):
        def __init__(self, factor, offset=1.0):
            super().__init__()
            self.factor, self.offset = factor, offset

        def call(self, x):
            return x * self.factor + self.offset

    class Holder(keras.layers.Layer):
        def __init__(self, sublayer, **kwargs):
            super().__init__(**kwargs)
            self.sublayer = sublayer

        def call(self, x):
            return self.sublayer(x)

    class Overridden(keras.layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units

        def get_config(self):
            return super().get_config()

        def call(self, x):
            return x

    return Scale, Plain, NoKwargs, Holder, Overridden


def _normal(config):
    """Keras writes dtype as a DTypePolicy config, nbkeras as its name: compare names."""
    config = dict(config)
    if isinstance(config.get("dtype"), dict):
        config["dtype"] = config["dtype"]["config"]["name"]
    return config


def test_default_config_matches_keras():
    ours, theirs = _classes(nbkeras), _classes(real_keras)
    cases = [
        (0, (3,), {"rate": 0.25, "name": "scale", "dtype": "float16"}),
        (0, (), {"units": [4, 5], "sizes": (3, 4)}),
        (1, (), {"name": "plain"}),
        (2, (2.0,), {}),
        (4, (7,), {"name": "over"}),
    ]
    for i, args, kwargs in cases:
        mine = ours[i](*args, **kwargs).get_config()
        ref = theirs[i](*args, **kwargs).get_config()
        if "name" not in kwargs:  # auto-generated names depend on creation counts
            assert ("name" in mine) == ("name" in ref)
            mine.pop("name", None), ref.pop("name", None)
        assert _normal(mine) == _normal(ref), (ours[i].__name__, mine, ref)


def test_custom_layer_without_get_config_round_trips_through_keras_file(tmp_path):
    Scale, _, NoKwargs, _, _ = _classes(nbkeras)
    model = nbkeras.Sequential([nbkeras.Input((4,)), Scale(3, rate=0.25, name="scale"),
                                NoKwargs(2.0, offset=-1.0)])
    x = np.random.default_rng(0).random((2, 4)).astype("float32")
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = nbkeras.models.load_model(path, custom_objects={"Scale": Scale,
                                                             "NoKwargs": NoKwargs})
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    scale, no_kwargs = loaded.layers
    assert (type(scale), scale.name, scale.units, scale.rate) == (Scale, "scale", 3, 0.25)
    assert (no_kwargs.factor, no_kwargs.offset) == (2.0, -1.0)
    # (as JSON: the tuple default comes back a list, as in Keras)
    assert scale.get_config() == json.loads(json.dumps(model.layers[0].get_config()))


def test_keras_reads_the_default_config_nbkeras_writes(tmp_path):
    # The same class in Keras 3 loads nbkeras's file (and the other way round).
    ScaleNb = _classes(nbkeras)[0]
    ScaleK = _classes(real_keras)[0]
    model = nbkeras.Sequential([nbkeras.Input((4,)), ScaleNb(3, rate=0.25)])
    model.save(tmp_path / "nb.keras")
    theirs = real_keras.models.load_model(tmp_path / "nb.keras",
                                          custom_objects={"Scale": ScaleK})
    assert (theirs.layers[0].units, theirs.layers[0].rate) == (3, 0.25)
    k_model = real_keras.Sequential([real_keras.Input((4,)), ScaleK(2, rate=0.75)])
    k_model.save(tmp_path / "k.keras")
    ours = nbkeras.models.load_model(tmp_path / "k.keras", custom_objects={"Scale": ScaleNb})
    assert (ours.layers[0].units, ours.layers[0].rate) == (2, 0.75)
    x = np.ones((1, 4), "float32")
    np.testing.assert_allclose(ours.predict(x, verbose=0), k_model.predict(x, verbose=0))


def test_non_plain_arguments_need_get_config():
    _, _, _, Holder, _ = _classes(nbkeras)
    layer = Holder(nbkeras.layers.Dense(2), name="holder")
    with pytest.raises(AutoConfigError, match=r"Holder 'holder' has no get_config\(\).*"
                       r"not plain Python values.*Override get_config\(\)"):
        layer.get_config()
    # Keras raises NotImplementedError; nbkeras's error is also a TypeError.
    with pytest.raises(NotImplementedError):
        layer.get_config()
    with pytest.raises(TypeError):
        layer.get_config()
    model = nbkeras.Sequential([nbkeras.Input((2,)), layer])
    with pytest.raises(AutoConfigError, match="Holder 'holder'"):
        model.save("/nonexistent-dir/never-written.keras")


def test_positional_only_arguments_need_get_config():
    class Pos(nbkeras.layers.Layer):
        def __init__(self, factor, /, **kwargs):
            super().__init__(**kwargs)

        def call(self, x):
            return x

    with pytest.raises(AutoConfigError, match="positional-only or variadic"):
        Pos(2.0).get_config()


def test_default_config_survives_nnx_split_and_jit():
    Scale = _classes(nbkeras)[0]
    layer = Scale(3, rate=0.5, name="s")
    layer(np.ones((1, 2), "float32"))
    graphdef, state = nnx.split(layer)
    merged = nnx.merge(graphdef, state)
    assert merged.get_config() == layer.get_config()

    @nnx.jit
    def run(layer, x):
        return layer(x)

    np.testing.assert_allclose(run(layer, np.ones((1, 2), "float32")), np.ones((1, 3)))
    # The recorded arguments are copies: changing the list passed in changes nothing.
    sizes = [1, 2]
    other = Scale(2, sizes=sizes)
    sizes.append(3)
    assert other.get_config()["sizes"] == [1, 2]


def test_subclassed_model_default_config_round_trips(tmp_path):
    class Net(nbkeras.Model):
        def __init__(self, units=3, name=None):
            super().__init__(name=name)
            self.units = units
            self.dense = nbkeras.layers.Dense(units)

        def call(self, x):
            return self.dense(x)

    model = Net(5, name="net")
    x = np.ones((2, 4), "float32")
    model(x)
    assert {k: v for k, v in model.get_config().items() if k != "dtype"} == {
        "name": "net", "units": 5, "trainable": True}
    model.save(tmp_path / "net.keras")
    loaded = nbkeras.models.load_model(tmp_path / "net.keras", custom_objects={"Net": Net})
    assert (loaded.units, loaded.name) == (5, "net")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
