"""Bad files and bad arguments fail with clear errors; writes are atomic."""

import json
import os
import zipfile

import h5py
import numpy as np
import pytest

import nbkeras as keras
from nbkeras import layers
from nbkeras.saving import saving_lib


@pytest.fixture(scope="module")
def model():
    m = keras.Sequential([keras.Input((3,)), layers.Dense(4), layers.Dense(1)], name="small")
    return m


@pytest.fixture(scope="module")
def saved(model, tmp_path_factory):
    d = tmp_path_factory.mktemp("saved")
    model.save(d / "good.keras")
    model.save_weights(d / "good.weights.h5")
    return d


def test_truncated_keras_file(saved, tmp_path):
    data = (saved / "good.keras").read_bytes()
    bad = tmp_path / "trunc.keras"
    bad.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"trunc\.keras' is not a valid \.keras file.*zip archive"):
        keras.models.load_model(bad)


def test_foreign_files(saved, tmp_path):
    text = tmp_path / "notes.keras"
    text.write_text("hello, not a model")
    with pytest.raises(ValueError, match=r"notes\.keras' is not a valid \.keras file.*config\.json"):
        keras.models.load_model(text)
    h5_as_keras = tmp_path / "w.keras"
    h5_as_keras.write_bytes((saved / "good.weights.h5").read_bytes())
    with pytest.raises(ValueError, match=r"It is an HDF5 file.*load_weights"):
        keras.models.load_model(h5_as_keras)
    other_zip = tmp_path / "other.keras"
    with zipfile.ZipFile(other_zip, "w") as zf:
        zf.writestr("readme.txt", "x")
    with pytest.raises(ValueError, match=r"other\.keras' has no config\.json.*readme\.txt"):
        keras.models.load_model(other_zip)
    with pytest.raises(ValueError, match=r"File not found: '.*missing\.keras'"):
        keras.models.load_model(tmp_path / "missing.keras")
    with pytest.raises(ValueError, match=r"holds only weights.*load_weights"):
        keras.models.load_model(saved / "good.weights.h5")


def test_corrupt_members(saved, tmp_path):
    bad_json = tmp_path / "badjson.keras"
    with zipfile.ZipFile(saved / "good.keras") as src, zipfile.ZipFile(bad_json, "w") as dst:
        for name in src.namelist():
            dst.writestr(name, b"{not json" if name == "config.json" else src.read(name))
    with pytest.raises(ValueError, match=r"badjson\.keras' is corrupt: its config\.json is not valid JSON"):
        keras.models.load_model(bad_json)
    bad_h5 = tmp_path / "badh5.keras"
    with zipfile.ZipFile(saved / "good.keras") as src, zipfile.ZipFile(bad_h5, "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            dst.writestr(name, data[:100] if name == "model.weights.h5" else data)
    with pytest.raises(ValueError, match=r"badh5\.keras/model\.weights\.h5' is not a readable HDF5"):
        keras.models.load_model(bad_h5)


def test_bad_weights_files(model, saved, tmp_path):
    trunc = tmp_path / "t.weights.h5"
    trunc.write_bytes((saved / "good.weights.h5").read_bytes()[:300])
    with pytest.raises(ValueError, match=r"t\.weights\.h5' is not a readable HDF5 weights file"):
        model.load_weights(trunc)
    foreign = tmp_path / "foreign.weights.h5"
    with h5py.File(foreign, "w") as f:
        f["data"] = np.zeros(3)
    with pytest.raises(ValueError, match=r"not a Keras weights file: expected top-level groups"):
        model.load_weights(foreign)
    other = keras.Sequential([keras.Input((3,)), layers.Dense(5), layers.Dense(1)])
    with pytest.raises(ValueError, match=r"Layer 'dense_\d+' \(Dense\) weight .* shape \(3, 5\).*\(3, 4\)"):
        other.load_weights(saved / "good.weights.h5")
    deeper = keras.Sequential([keras.Input((3,)), layers.Dense(4), layers.Dense(1), layers.Dense(1)])
    with pytest.raises(ValueError, match=r"expects 2 weight\(s\), but .* has 0 at 'layers/dense_2/vars'"):
        deeper.load_weights(saved / "good.weights.h5")
    partial = keras.Sequential([keras.Input((3,)), layers.Dense(4), layers.Dense(2)])
    before = [w.copy() for w in partial.get_weights()]
    with pytest.warns(UserWarning, match=r"shape \(4, 2\).*Skipping this layer"):
        partial.load_weights(saved / "good.weights.h5", skip_mismatch=True)
    np.testing.assert_array_equal(partial.get_weights()[0], model.get_weights()[0])  # loaded
    np.testing.assert_array_equal(partial.get_weights()[2], before[2])  # skipped


def test_filename_and_build_checks(model, tmp_path):
    with pytest.raises(ValueError, match=r"must end in '\.weights\.h5'"):
        model.save_weights(tmp_path / "w.h5")
    with pytest.raises(ValueError, match=r"add '\.keras'"):
        model.save(tmp_path / "model.zip")
    with pytest.raises(ValueError, match=r"legacy Keras 2 HDF5"):
        model.save(tmp_path / "model.h5")
    unbuilt = keras.Sequential([layers.Dense(2)])
    with pytest.raises(ValueError, match=r"not built yet.*Input\(shape=...\)"):
        unbuilt.save_weights(tmp_path / "u.weights.h5")
    model.save(tmp_path / "m.keras")
    with pytest.raises(FileExistsError, match="overwrite=False"):
        model.save(tmp_path / "m.keras", overwrite=False)


def test_atomic_write_keeps_old_file(model, tmp_path, monkeypatch):
    path = tmp_path / "m.keras"
    model.save(path)
    before = path.read_bytes()

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(saving_lib.weights_h5, "write_model_weights", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        model.save(path)
    with pytest.raises(RuntimeError, match="disk full"):
        model.save_weights(tmp_path / "m.weights.h5")
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["m.keras"]  # no temp or partial files


def test_unzipped_directory_format(model, tmp_path):
    model.save(tmp_path / "dir.keras", zipped=False)
    assert sorted(os.listdir(tmp_path / "dir.keras")) == [
        "config.json", "metadata.json", "model.weights.h5",
    ]
    loaded = keras.models.load_model(tmp_path / "dir.keras")
    x = np.ones((2, 3), "float32")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    json.loads((tmp_path / "dir.keras" / "config.json").read_text())


def test_sharded_weights(tmp_path):
    def make():
        return keras.Sequential(
            [keras.Input((4,)), layers.Dense(300), layers.Dense(300), layers.Dense(1)]
        )

    model = make()
    model.save_weights(tmp_path / "m.weights.json", max_shard_size=0.0002)  # ~215 kB
    index = json.loads((tmp_path / "m.weights.json").read_text())
    shards = sorted(set(index["weight_map"].values()))
    assert len(shards) >= 2 and all((tmp_path / s).exists() for s in shards)
    assert index["weight_map"]["/layers/dense_1/vars"] != index["weight_map"]["/layers/dense/vars"]
    other = make()
    other.load_weights(tmp_path / "m.weights.json")
    for a, b in zip(other.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    (tmp_path / shards[-1]).write_bytes(b"garbage")
    with pytest.raises(ValueError, match=r"Shard '.*' listed in '.*m\.weights\.json' cannot be read"):
        other.load_weights(tmp_path / "m.weights.json")
    with pytest.raises(ValueError, match=r"must end in '\.weights\.json'"):
        model.save_weights(tmp_path / "m.weights.h5", max_shard_size=1)
