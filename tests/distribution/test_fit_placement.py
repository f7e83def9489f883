"""fit/evaluate under a distribution in the main test process (1 device)."""

import threading

import numpy as np
import pytest
from jax.sharding import NamedSharding

import nbkeras as nbk
from nbkeras import distribution as D


@pytest.fixture(autouse=True)
def _no_distribution():
    D.set_distribution(None)
    yield
    D.set_distribution(None)


def test_bad_layout_rank_names_the_variable():
    model = nbk.Sequential([nbk.Input((4,)), nbk.layers.Dense(2, name="d")], name="m")
    model.compile("sgd", "mse")
    lm = D.LayoutMap(D.DeviceMesh((1,), ["model"], devices=["cpu:0"]))
    lm[".*kernel"] = ("model",)
    with D.ModelParallel(layout_map=lm).scope(), pytest.raises(ValueError, match="'d/kernel'"):
        model.fit(np.ones((4, 4)), np.ones((4, 2)), verbose=0)


def test_fit_in_a_thread_uses_the_notebooks_distribution():
    """A background fit started from the main thread uses the mesh set there."""
    model = nbk.Sequential([nbk.Input((4,)), nbk.layers.Dense(2)])
    model.compile("sgd", "mse")
    x, y = np.ones((10, 4), np.float32), np.zeros((10, 2), np.float32)
    model.fit(x, y, verbose=0)  # built and trained before the distribution: moved later
    assert not isinstance(model.layers[0].kernel.value.sharding, NamedSharding)
    D.set_distribution(D.DataParallel())
    result = {}
    t = threading.Thread(target=lambda: result.update(h=model.fit(x, y, epochs=2, verbose=0)))
    t.start()
    t.join()
    assert len(result["h"].history["loss"]) == 2
    sharding = model.layers[0].kernel.value.sharding
    assert isinstance(sharding, NamedSharding) and sharding.mesh.axis_names == ("batch",)
    D.set_distribution(None)
    h = model.fit(x, y, verbose=0)  # and back without a distribution
    assert np.isfinite(h.history["loss"][0])


def test_activation_layouts_warn_that_they_are_not_applied():
    model = nbk.Sequential([nbk.Input((4,)), nbk.layers.Dense(2, name="d")], name="m")
    model.compile("sgd", "mse")
    lm = D.LayoutMap(D.DeviceMesh((1,), ["model"], devices=["cpu:0"]))
    lm["m/d/output"] = ("model", None)
    with D.ModelParallel(layout_map=lm).scope(), pytest.warns(UserWarning, match="layer outputs"):
        model.fit(np.ones((4, 4)), np.ones((4, 2)), verbose=0)
