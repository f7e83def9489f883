"""``utils.PyDataset`` (nbkeras/utils/py_dataset.py): batches by index, epoch hooks, worker
threads, and fit/evaluate on it giving what Keras 3 gives for the same dataset class."""

import os
import threading

os.environ["KERAS_BACKEND"] = "jax"

import keras as real_keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import nbkeras  # noqa: E402


def make_class(keras):
    class Numbers(keras.utils.PyDataset):
        def __init__(self, x, y, batch_size, **kwargs):
            super().__init__(**kwargs)
            self.x, self.y, self.batch_size = x, y, batch_size
            self.events, self.threads = [], set()

        def __len__(self):
            return int(np.ceil(len(self.x) / self.batch_size))

        def __getitem__(self, idx):
            self.threads.add(threading.current_thread().name)
            rows = slice(idx * self.batch_size, (idx + 1) * self.batch_size)
            return self.x[rows], self.y[rows]

        def on_epoch_begin(self):
            self.events.append("begin")

        def on_epoch_end(self):
            self.events.append("end")

    return Numbers


def _passes(events):
    """The number of begin/end pairs; fails unless the hooks alternate."""
    assert events == ["begin", "end"] * (len(events) // 2), events
    return len(events) // 2


def _model(keras):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    return model


def test_fit_and_evaluate_on_a_py_dataset_match_keras():
    rng = np.random.default_rng(0)
    x, y = rng.random((20, 3)).astype("float32"), rng.random((20, 2)).astype("float32")
    ours, theirs = _model(nbkeras), _model(real_keras)
    theirs.set_weights(ours.get_weights())
    ds_ours = make_class(nbkeras)(x, y, batch_size=8, workers=3, max_queue_size=2)
    ds_theirs = make_class(real_keras)(x, y, batch_size=8)
    # Evaluating before training: the same numbers.
    np.testing.assert_allclose(ours.evaluate(ds_ours, verbose=0),
                               theirs.evaluate(ds_theirs, verbose=0), rtol=1e-5)
    h_ours = ours.fit(ds_ours, epochs=2, shuffle=False, verbose=0)
    h_theirs = theirs.fit(ds_theirs, epochs=2, shuffle=False, verbose=0)
    assert sorted(h_ours.history) == sorted(h_theirs.history)
    np.testing.assert_allclose(h_ours.history["loss"], h_theirs.history["loss"], rtol=1e-4)
    # Each pass: on_epoch_begin, the batches, on_epoch_end (1 evaluate + 2 epochs; nbkeras
    # also reads the first batch once before training, to build its step).
    assert _passes(ds_ours.events) >= 3
    assert any(t.startswith("nbk-pydataset") for t in ds_ours.threads)


def test_epoch_stopped_early_still_ends_and_threads_keep_order():
    x = np.arange(40, dtype="float32")[:, None]
    ds = make_class(nbkeras)(x, x, batch_size=4, workers=4, max_queue_size=3)
    assert [int(b[0][0, 0]) for b in ds.epoch()] == list(range(0, 40, 4))
    model = nbkeras.Sequential([nbkeras.Input((1,)), nbkeras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    ds.events.clear()
    model.fit(ds, epochs=2, steps_per_epoch=3, verbose=0)
    assert _passes(ds.events) >= 2
    assert len(ds) == ds.num_batches == 10 and list(iter(ds))[-1][0].shape == (4, 1)


def test_bad_settings_are_refused():
    Numbers = make_class(nbkeras)
    x = np.zeros((4, 1), "float32")
    with pytest.raises(ValueError, match=r"use_multiprocessing=True is not supported.*workers=N"):
        Numbers(x, x, 2, use_multiprocessing=True)
    with pytest.raises(ValueError, match=r"workers must be an int >= 1.*received 0"):
        Numbers(x, x, 2, workers=0)
    with pytest.raises(ValueError, match=r"max_queue_size must be an int >= 1.*received 0"):
        Numbers(x, x, 2, max_queue_size=0)

    class Empty(nbkeras.utils.PyDataset):
        pass

    with pytest.raises(NotImplementedError, match="must define __len__"):
        Empty().num_batches  # noqa: B018
    assert nbkeras.utils.Sequence is nbkeras.utils.PyDataset
