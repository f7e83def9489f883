"""Checks on 8 simulated CPU devices, run once by ``test_multi_device.py``.

Usage: ``JAX_NUM_CPU_DEVICES=8 python _eight_devices.py OUT_DIR``.  Writes
``OUT_DIR/results.json`` (numbers the tests assert on) and ``OUT_DIR/dp_reference.npz``
(weights of the data-parallel run, the reference of the 2-process test).
"""

import json
import os
import sys

import _programs
import jax
import numpy as np

import nbkeras as keras
from nbkeras import distribution as D

OUT = sys.argv[1]
results = {"device_count": jax.device_count()}


def max_diff(a, b):
    return float(max(np.max(np.abs(np.asarray(u) - np.asarray(v))) for u, v in zip(a, b)))


def rel_diff(a, b):
    return float(max(np.max(np.abs(np.asarray(u) - np.asarray(v)) / (np.abs(v) + 1e-6))
                     for u, v in zip(a, b)))


def weights(model):
    return [np.asarray(v.value) for v in model.variables]


def history_diff(h1, h2):
    assert list(h1) == list(h2), (list(h1), list(h2))
    return rel_diff([h1[k] for k in h1], [h2[k] for k in h2])


# -- 1. DataParallel == 1 device: partial last batch, BatchNormalization, Dropout --------
m1, h1, e1, p1 = _programs.dp_fit(keras, None)
m8, h8, e8, p8 = _programs.dp_fit(keras, D.DataParallel())
results["dp"] = {
    "history_keys": [list(h1), list(h8)],
    "history_rel": history_diff(h1, h8),
    "weights_abs": max_diff(weights(m1), weights(m8)),
    "eval_rel": rel_diff(e1, e8),
    "predict_abs": max_diff(p1, p8),
    "kernel_devices": len(m8.layers[0].kernel.value.sharding.device_set),
    "trace_counts": m8.training_state.trace_counts,
    "loss": h8["loss"],
}
np.savez(os.path.join(OUT, "dp_reference.npz"), *weights(m8))
with open(os.path.join(OUT, "dp_reference.json"), "w") as f:
    json.dump({"history": h8, "evaluate": e8}, f)


# -- 2. A batch that does not divide by 8 (12 -> 16, masked), host batches too ----------
def plain_mlp(name):
    keras.utils.set_random_seed(2)
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(8, activation="tanh"),
                              keras.layers.Dense(3)], name=name)
    model.compile("sgd", "mse", metrics=["mae"])
    return model


x, y = _programs.data(50)
y3 = np.eye(3, dtype="float32")[y]


def gen():
    for i in range(0, 50, 12):
        yield x[i:i + 12], y3[i:i + 12]


runs = {}
for label, dist in (("one", None), ("dp", D.DataParallel())):
    model = plain_mlp("odd_" + label)
    D.set_distribution(dist)
    np.random.seed(3)
    h = model.fit(x, y3, batch_size=12, epochs=2, verbose=0)
    g = model.fit(gen(), epochs=1, steps_per_epoch=5, verbose=0)
    ev = model.evaluate(x[:17], y3[:17], batch_size=7, verbose=0)
    pr = model.predict(x[:13], batch_size=5, verbose=0)
    on_batch = [model.train_on_batch(x[:5], y3[:5]), model.test_on_batch(x[:5], y3[:5]),
                model.predict_on_batch(x[:5])]
    runs[label] = (h.history, g.history, ev, pr, weights(model), model, on_batch)
    D.set_distribution(None)
one, dp = runs["one"], runs["dp"]
results["odd_batch"] = {
    "history_rel": history_diff(one[0], dp[0]),
    "generator_rel": history_diff(one[1], dp[1]),
    "eval_rel": rel_diff(one[2], dp[2]),
    "predict_shape": list(dp[3].shape),
    "predict_abs": max_diff(one[3], dp[3]),
    "weights_abs": max_diff(one[4], dp[4]),
    "trace_counts": dp[5].training_state.trace_counts,
    "on_batch_abs": max_diff([np.ravel(v) for v in one[6]], [np.ravel(v) for v in dp[6]]),
    "predict_on_batch_shape": list(dp[6][2].shape),
}


# -- 3. ModelParallel on a (2, 4) mesh with a layout map -----------------------------
def wide_mlp(name="wide"):
    keras.utils.set_random_seed(3)
    model = keras.Sequential([
        keras.Input((6,)),
        keras.layers.Dense(16, activation="relu", name="dense_a"),
        keras.layers.Dense(8, activation="relu", name="dense_b"),
        keras.layers.Dense(4, name="head"),
    ], name=name)
    model.compile("adam", "mse", metrics=["mae"])
    return model


xr = _programs.data(64)[0]
yr = np.tanh(xr[:, :4] * 2).astype("float32")
mesh = D.DeviceMesh((2, 4), ("batch", "model"), devices=D.list_devices())
layout_map = D.LayoutMap(mesh)
layout_map[".*dense.*kernel"] = (None, "model")
layout_map["wide/dense_a/bias"] = ("model",)  # Keras's path: the model's name first
layout_map["head/kernel"] = ("model", None)  # nbkeras's short path works too
mp = D.ModelParallel(layout_map=layout_map, batch_dim_name="batch")

ref = wide_mlp()
np.random.seed(4)  # the same two fits (and shuffle seeds) as the sharded run
href = ref.fit(xr, yr, batch_size=16, epochs=1, verbose=0).history
href2 = ref.fit(xr, yr, batch_size=16, epochs=3, initial_epoch=1, verbose=0).history
href = {k: href[k] + href2[k] for k in href}

model = wide_mlp()
with mp.scope():
    np.random.seed(4)
    h_first = model.fit(xr, yr, batch_size=16, epochs=1, verbose=0).history
    traces_after_first = dict(model.training_state.trace_counts)
    h_rest = model.fit(xr, yr, batch_size=16, epochs=3, initial_epoch=1, verbose=0).history
    traces_after_all = dict(model.training_state.trace_counts)
    mp_eval = model.evaluate(xr, yr, batch_size=10, verbose=0)
ref_eval = ref.evaluate(xr, yr, batch_size=10, verbose=0)
shardings = {}
for v in model.variables:
    s = v.value.sharding
    shardings[v.path] = {
        "spec": [a for a in s.spec],
        "mesh_axes": list(getattr(s.mesh, "axis_names", ())),
        "shard_shape": list(v.value.addressable_shards[0].data.shape),
        "n_shards": len(v.value.addressable_shards),
    }
hmp = {k: h_first[k] + h_rest[k] for k in h_first}
results["mp"] = {
    "history_rel": history_diff(href, hmp),
    "weights_abs": max_diff(weights(ref), weights(model)),
    "eval_rel": rel_diff(ref_eval, mp_eval),
    "shardings": shardings,
    "traces_after_first": traces_after_first,
    "traces_after_all": traces_after_all,
    "describe": model.training_state.placement.describe(16),
}

# nnx sharding metadata (a bare Flax module in the model) is used when no key matches
from flax import nnx  # noqa: E402

with nnx.use_eager_sharding(False):
    linear = nnx.Linear(6, 8, rngs=nnx.Rngs(0), kernel_init=nnx.with_partitioning(
        nnx.initializers.lecun_normal(), (None, "model")))
flax_model = keras.Sequential([keras.Input((6,)), linear, keras.layers.Dense(4, name="top")])
flax_model.compile("sgd", "mse")
with mp.scope():
    flax_model.fit(xr, yr, batch_size=16, epochs=1, verbose=0)
results["mp"]["nnx_kernel_spec"] = [a for a in linear.kernel.value.sharding.spec]
results["mp"]["nnx_kernel_shard"] = list(linear.kernel.value.addressable_shards[0].data.shape)
with D.DataParallel().scope():  # DataParallel replicates, whatever the metadata says
    flax_model.fit(xr, yr, batch_size=16, epochs=1, verbose=0)
results["mp"]["nnx_kernel_dp_spec"] = [a for a in linear.kernel.value.sharding.spec]

# -- 4. Saving a sharded model = saving a one-device model; loading re-shards ---------
mp_file = os.path.join(OUT, "mp.weights.h5")
one_file = os.path.join(OUT, "one.weights.h5")
model.save_weights(mp_file)
ref.save_weights(one_file)  # the same training on one device


def h5_content(path):
    import h5py

    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda k, v: out.__setitem__(k, np.asarray(v)) if hasattr(v, "shape")
                     else None)
    return out


mp_h5, one_h5 = h5_content(mp_file), h5_content(one_file)
fresh = wide_mlp("wide")
with mp.scope():
    fresh.load_weights(mp_file)
    fresh_eval = fresh.evaluate(xr, yr, batch_size=10, verbose=0)
results["save"] = {
    "same_datasets": sorted(mp_h5) == sorted(one_h5),
    "n_datasets": len(mp_h5),
    "max_value_diff": max_diff([mp_h5[k] for k in sorted(mp_h5)],
                               [one_h5[k] for k in sorted(one_h5)]),
    "loaded_eval_rel": rel_diff(mp_eval, fresh_eval),
    "loaded_kernel_spec": list(fresh.get_layer("dense_a").kernel.value.sharding.spec),
}
keras_file = os.path.join(OUT, "mp.keras")
model.save(keras_file)
loaded = keras.models.load_model(keras_file)
results["save"]["keras_predict_abs"] = max_diff([model.predict(xr[:5], verbose=0)],
                                                [loaded.predict(xr[:5], verbose=0)])

# -- 5. back to one device -------------------------------------------------------------
h = model.fit(xr, yr, batch_size=16, epochs=1, verbose=0)
results["back_to_one"] = {
    "loss_finite": bool(np.isfinite(h.history["loss"][0])),
    "kernel_devices": len(model.get_layer("dense_a").kernel.value.sharding.device_set),
}


# -- 6. Differential: the same Keras distribution program in Keras 3 and in nbkeras -----
def keras_program(k, init=None):
    """An ordinary Keras 3 program using keras.distribution (96 samples: Keras needs
    every batch to divide by the device count)."""
    devices = k.distribution.list_devices()
    mesh = k.distribution.DeviceMesh((2, 4), ["batch", "model"], devices)
    lm = k.distribution.LayoutMap(mesh)
    lm[".*dense.*kernel"] = (None, "model")
    lm[".*dense.*bias"] = ("model",)
    k.distribution.set_distribution(k.distribution.ModelParallel(layout_map=lm))
    model = k.Sequential([k.Input((6,)), k.layers.Dense(16, activation="relu"),
                          k.layers.Dense(8, activation="relu"), k.layers.Dense(4)])
    if init is not None:
        model.set_weights(init)
    init = [np.asarray(w) for w in model.get_weights()]
    model.compile(k.optimizers.Adam(0.01), "mse", metrics=["mae"])
    xk, _ = _programs.data(96)
    yk = np.tanh(xk[:, :4]).astype("float32")
    hist = model.fit(xk, yk, batch_size=32, epochs=3, shuffle=False, verbose=0)
    k.distribution.set_distribution(None)
    return model, hist.history, init


import keras as real_keras  # noqa: E402

real_model, real_h, real_init = keras_program(real_keras)
our_model, our_h, _ = keras_program(keras, init=real_init)  # same initial weights
results["keras_diff"] = {
    "keras_keys": list(real_h),
    "nbkeras_keys": list(our_h),
    "keras_loss": real_h["loss"],
    "nbkeras_loss": our_h["loss"],
    "keras_kernel_spec": [str(a) for a in real_model.layers[0].kernel.value.sharding.spec],
    "nbkeras_kernel_spec": [str(a) for a in our_model.layers[0].kernel.value.sharding.spec],
}

with open(os.path.join(OUT, "results.json"), "w") as f:
    json.dump(results, f, indent=1, default=str)
