"""``nbkeras.distribution`` API objects, compared with ``keras.distribution`` (1 device).

The multi-device behaviour runs in a subprocess: see ``test_multi_device.py``.
"""

import threading

import jax
import numpy as np
import pytest
from jax.sharding import NamedSharding, PartitionSpec

import nbkeras as nbk
from nbkeras import distribution as D

kd = pytest.importorskip("keras").distribution


@pytest.fixture(autouse=True)
def _no_distribution():
    D.set_distribution(None)
    yield
    D.set_distribution(None)


def _both(fn):
    """Run ``fn(module)`` with nbkeras and Keras; return both results or error texts."""
    out = []
    for mod in (D, kd):
        try:
            out.append(fn(mod))
        except (ValueError, TypeError) as err:
            out.append(f"{type(err).__name__}: {err}")
    return out


def test_devices_match_keras():
    assert D.list_devices() == kd.list_devices() == ["cpu:0"]
    assert D.list_devices("CPU") == kd.list_devices("cpu")
    assert D.get_device_count() == kd.get_device_count() == 1
    with pytest.raises(TypeError, match="device_type must be a string"):
        D.list_devices(3)


def test_layout_map_lookup_matches_keras():
    def lookups(mod):
        mesh = mod.DeviceMesh((1, 1), ["batch", "model"], devices=["cpu:0"])
        lm = mod.LayoutMap(mesh)
        lm[".*dense.*kernel"] = (None, "model")
        lm[".*dense.*bias"] = ("model",)
        lm["model/conv2d/kernel"] = mod.TensorLayout((None, None, None, "model"))
        lm["model/conv2d/.*"] = ("model",)
        keys = ["dense_1/kernel", "sequential/dense/bias", "model/conv2d/kernel",
                "model/conv2d/bias", "other/kernel", "xdense/kernel/y"]
        got = [None if lm[k] is None else lm[k].axes for k in keys]
        meshes = {lm[k].device_mesh is mesh for k in keys if lm[k] is not None}
        return got, meshes, list(lm), len(lm)

    ours, theirs = _both(lookups)
    assert ours == theirs
    assert ours[0][4] is None and ours[0][2] == (None, None, None, "model")
    assert ours[1] == {True}


def test_layout_map_errors_match_keras():
    def several(mod):
        lm = mod.LayoutMap(mod.DeviceMesh((1,), ["model"], devices=["cpu:0"]))
        lm[".*kernel"] = ("model",)
        lm["dense.*"] = (None,)
        return lm["dense/kernel"]

    ours, theirs = _both(several)
    assert ours == theirs
    assert "matches multiple layout specification keys: ['.*kernel', 'dense.*']" in ours

    def duplicate(mod):
        lm = mod.LayoutMap(mod.DeviceMesh((1,), ["model"], devices=["cpu:0"]))
        lm["a"] = ("model",)
        lm["a"] = (None,)

    ours, theirs = _both(duplicate)
    assert ours == theirs and "already exist" in ours

    def bad_axis(mod):
        lm = mod.LayoutMap(mod.DeviceMesh((1,), ["model"], devices=["cpu:0"]))
        lm["a"] = ("batch",)

    ours, theirs = _both(bad_axis)
    assert ours == theirs and "Invalid axis names" in ours

    def bad_value(mod):
        mod.LayoutMap(mod.DeviceMesh((1,), ["model"], devices=["cpu:0"]))["a"] = 3

    assert "should be a TensorLayout type" in _both(bad_value)[0]


def test_mesh_and_strategy_properties_match_keras():
    def props(mod):
        mesh = mod.DeviceMesh((1, 1), ["data", "model"], devices=["cpu:0"])
        lm = mod.LayoutMap(mesh)
        lm["d.*"] = ("model",)
        mp = mod.ModelParallel(layout_map=lm)
        mp2 = mod.ModelParallel(layout_map=lm, batch_dim_name="model")
        dp = mod.DataParallel(devices=["cpu:0"])
        dp2 = mod.DataParallel(device_mesh=mod.DeviceMesh((1,), ["x"], devices=["cpu:0"]))
        return (mesh.shape, list(mesh.axis_names), mesh.devices.shape, repr(mesh),
                mp.batch_dim_name, mp2.batch_dim_name, mp.num_model_replicas,
                dp.batch_dim_name, dp.device_mesh.shape, dp2.batch_dim_name,
                dp.num_model_replicas, mp.num_processes, mp.data_shard_id,
                mp.get_data_layout((8, 3)).axes, mp.get_tensor_layout("d/output").axes,
                mp.get_tensor_layout("e/output"), dp.get_tensor_layout("x"),
                dp.auto_shard_dataset, repr(dp))

    ours, theirs = _both(props)
    assert ours == theirs


def test_constructor_errors_match_keras():
    cases = [
        lambda m: m.DeviceMesh((), [], devices=["cpu:0"]),
        lambda m: m.DeviceMesh((1,), ["a", "b"], devices=["cpu:0"]),
        lambda m: m.DeviceMesh((2,), ["a"], devices=["cpu:0"]),
        lambda m: m.ModelParallel(),
        lambda m: m.ModelParallel(layout_map={"a": 1}),
        lambda m: m.DataParallel(device_mesh="mesh"),
    ]
    for case in cases:
        ours, theirs = _both(case)
        assert isinstance(ours, str) and isinstance(theirs, str), (ours, theirs)
        assert ours.split(":")[0] == theirs.split(":")[0]
        assert ours.split(".")[0] == theirs.split(".")[0]


def test_variable_layouts_follow_keras():
    model = nbk.Sequential([nbk.Input((4,)), nbk.layers.Dense(2, name="d")], name="seq")
    mesh = D.DeviceMesh((1, 1), ["batch", "model"], devices=["cpu:0"])
    lm = D.LayoutMap(mesh)
    lm["seq/d/kernel"] = (None, "model")
    mp = D.ModelParallel(layout_map=lm)
    kernel, bias = model.layers[0].kernel, model.layers[0].bias

    class KerasPath:  # what Keras looks up: the variable path with the model's name
        path, shape = "seq/d/kernel", (4, 2)

    assert mp.get_variable_layout(KerasPath()).axes == (None, "model")
    assert mp.get_variable_layout(bias).axes == (None,)
    assert D.DataParallel(devices=["cpu:0"]).get_variable_layout(kernel).axes == (None, None)


def test_scope_set_distribution_and_threads():
    dp = D.DataParallel()
    assert D.distribution() is None
    with dp.scope():
        assert D.distribution() is dp
        seen = {}

        def worker():
            seen["inherited"] = D.distribution()
            D.set_distribution(None)
            seen["own"] = D.distribution()

        t = threading.Thread(target=worker)
        t.start()
        t.join()
        assert seen == {"inherited": dp, "own": None}
        assert D.distribution() is dp  # the worker's change stays in the worker
    assert D.distribution() is None
    with pytest.raises(TypeError, match="expects a nbkeras.distribution.Distribution"):
        D.set_distribution("dp")


def test_distribute_tensor_eager_and_jit():
    mesh = D.DeviceMesh((1,), ["batch"], devices=["cpu:0"])
    layout = D.TensorLayout(("batch", None), mesh)
    x = D.distribute_tensor(np.ones((2, 3), np.float32), layout)
    assert isinstance(x.sharding, NamedSharding) and x.sharding.spec == PartitionSpec("batch", None)
    assert D.distribute_tensor(x, layout) is x  # already placed: unchanged
    y = jax.jit(lambda a: D.distribute_tensor(a * 2, layout))(x)
    np.testing.assert_allclose(np.asarray(y), 2.0)
    with pytest.raises(ValueError, match="device mesh is not set"):
        D.distribute_tensor(x, D.TensorLayout(("batch", None)))
    with pytest.raises(TypeError, match="TensorLayout or a jax.sharding.Sharding"):
        D.distribute_tensor(x, ("batch", None))
    assert isinstance(D.DeviceMesh((1,), ["b"]).backend_mesh, jax.sharding.Mesh)
