"""Property-based: a mutated .keras or .weights.h5 file loads correctly or gives a ValueError.

Hypothesis mutates valid files (truncation, byte flips, renamed members, config values,
wrong weight shapes and dtypes, an injected payload) and checks the loaders: a clear
``ValueError`` or a usable model, never another exception type, never a file written
outside the target, never the payload executed.  Fixed seed, bounded example count.
"""

import contextlib
import io
import json
import os
import tempfile
import warnings
import zipfile

import h5py
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nbkeras as keras
from nbkeras import layers

SETTINGS = settings(
    derandomize=True, max_examples=25, deadline=None, database=None, print_blob=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
X = np.linspace(-1.0, 1.0, 8, dtype="float32").reshape(2, 4)
SENTINEL = "payload_ran"


class _Files(tuple):
    def __repr__(self):  # hypothesis prints the arguments of a failing example
        return "<saved model files>"


@pytest.fixture(scope="module")
def files():
    inp = keras.Input((4,), name="x")
    h = layers.Dense(3, activation="relu", name="hidden")(inp)
    h = layers.BatchNormalization(name="bn")(h)
    out = layers.Dense(2, name="out")(h)
    model = keras.Model(inp, out)
    model.compile(optimizer="adam", loss="mse")
    model.fit(X, np.zeros((2, 2), "float32"), epochs=1, verbose=0)
    with tempfile.TemporaryDirectory() as d:
        model.save(os.path.join(d, "m.keras"))
        model.save_weights(os.path.join(d, "m.weights.h5"))
        with open(os.path.join(d, "m.keras"), "rb") as f:
            archive = f.read()
        with open(os.path.join(d, "m.weights.h5"), "rb") as f:
            weights = f.read()
    return _Files((model, archive, weights))


@contextlib.contextmanager
def _sandbox():
    """A fresh working directory; yields it and checks nothing else was written there."""
    old = os.getcwd()
    with tempfile.TemporaryDirectory() as d:
        os.chdir(d)
        try:
            yield d
        finally:
            os.chdir(old)


def _check_load(load, sandbox, target):
    before = sorted(os.listdir(sandbox))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = load()
        out = model.predict(X, verbose=0)
        assert np.shape(out) == (2, 2)
    except ValueError as e:
        assert str(e), "a ValueError without a message"
    assert not os.path.exists(os.path.join(sandbox, SENTINEL)), "the payload ran"
    assert sorted(os.listdir(sandbox)) == before == [target]


# ---------------------------------------------------------------------- byte-level mutations
def _flip(data: bytes, positions, xor) -> bytes:
    buf = bytearray(data)
    for p in positions:
        buf[p % len(buf)] ^= xor
    return bytes(buf)


byte_mutation = st.one_of(
    st.tuples(st.just("truncate"), st.floats(0.0, 0.999)),
    st.tuples(st.just("flip"), st.lists(st.integers(0, 2**31), min_size=1, max_size=8),
              st.integers(1, 255)),
)


def _mutate_bytes(data: bytes, mutation) -> bytes:
    if mutation[0] == "truncate":
        return data[: int(len(data) * mutation[1])]
    return _flip(data, mutation[1], mutation[2])


# ---------------------------------------------------------------------- config mutations
def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, (*prefix, i))


def _set(value, path, new):
    for key in path[:-1]:
        value = value[key]
    value[path[-1]] = new


json_values = st.one_of(
    st.sampled_from([None, True, 0, -1, 1, 2**40, -(2**40), 0.5, float("nan"), "", "relu",
                     "float16", "int8", "no_such_thing", [], {}, [None], [0, -3], [2**31, 2],
                     {"class_name": "Dense", "config": {}},
                     {"class_name": "function", "config": "system", "module": "os"},
                     {"class_name": "__lambda__", "config": {"code": "AAAA"}}]),
    st.integers(-5, 70), st.text(max_size=6),
)


def _payload_lambda(config):
    config["config"]["layers"].append({
        "module": "keras.layers", "class_name": "Lambda", "name": "evil",
        "config": {"name": "evil", "function": {"module": "os", "class_name": "function",
                                                "config": "system"}},
        "inbound_nodes": [{"args": [f"touch {SENTINEL}"], "kwargs": {}}],
    })


def _mutate_config(raw: bytes, draw_index, new_value, payload: bool) -> bytes:
    config = json.loads(raw)
    if payload:
        _payload_lambda(config)
    paths = [p for p in _paths(config) if p]
    _set(config, paths[draw_index % len(paths)], new_value)
    return json.dumps(config).encode()


# ---------------------------------------------------------------------- weights mutations
def _bad_value(ds_shape, kind):
    shape = tuple(ds_shape)
    if kind == "extra_dim":
        return np.zeros((*shape, 2), "float32")
    if kind == "drop_dim":
        return np.zeros(shape[1:], "float32")
    if kind == "transpose":
        return np.zeros(shape[::-1] + (1,) if len(set(shape)) <= 1 else shape[::-1], "float32")
    if kind == "empty":
        return np.zeros((0,), "float32")
    dtypes = {"bytes": "S3", "complex": "complex64", "bool": "bool", "int8": "int8",
              "float64": "float64", "float16": "float16"}
    if kind == "bytes":
        return np.full(shape, b"abc", dtype="S3")
    return np.zeros(shape, dtypes[kind])


h5_mutation = st.tuples(
    st.integers(0, 1000),
    st.sampled_from(["extra_dim", "drop_dim", "transpose", "empty", "bytes", "complex", "bool",
                     "int8", "float64", "float16", "delete", "to_group", "rename_group"]),
)


def _mutate_h5(data: bytes, mutation) -> bytes:
    index, kind = mutation
    buf = io.BytesIO(data)
    with h5py.File(buf, "a") as h5:
        names = []
        h5.visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) else None)
        name = sorted(names)[index % len(names)]
        parent, key = name.rsplit("/", 1)
        group = h5[parent]
        shape = group[key].shape
        if kind == "rename_group":
            h5.move(parent, parent + "_renamed")
        else:
            del group[key]
            if kind == "to_group":
                group.create_group(key)
            elif kind != "delete":
                group[key] = _bad_value(shape, kind)
    return buf.getvalue()


def _zip_members(archive: bytes) -> dict:
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def _zip(members: dict) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


archive_mutation = st.one_of(
    st.tuples(st.just("bytes"), byte_mutation),
    st.tuples(st.just("rename"), st.sampled_from(["config.json", "model.weights.h5",
                                                  "metadata.json"]),
              st.sampled_from(["", "config.json", "../x.json", "CONFIG.JSON"])),
    st.tuples(st.just("config"), st.integers(0, 10_000), json_values, st.booleans()),
    st.tuples(st.just("weights"), h5_mutation),
)


def _mutate_archive(archive: bytes, mutation) -> bytes:
    kind = mutation[0]
    if kind == "bytes":
        return _mutate_bytes(archive, mutation[1])
    members = _zip_members(archive)
    if kind == "rename":
        data = members.pop(mutation[1])
        members[mutation[2] or "renamed"] = data
    elif kind == "config":
        members["config.json"] = _mutate_config(members["config.json"], *mutation[1:])
    else:
        members["model.weights.h5"] = _mutate_h5(members["model.weights.h5"], mutation[1])
    return _zip(members)


@SETTINGS
@given(mutation=archive_mutation)
def test_mutated_keras_archive(files, mutation):
    _, archive, _ = files
    with _sandbox() as d:
        with open("m.keras", "wb") as f:
            f.write(_mutate_archive(archive, mutation))
        _check_load(lambda: keras.models.load_model("m.keras"), d, "m.keras")


@SETTINGS
@given(mutation=st.one_of(st.tuples(st.just("bytes"), byte_mutation),
                          st.tuples(st.just("h5"), h5_mutation)))
def test_mutated_weights_file(files, mutation):
    model, _, weights = files
    data = (_mutate_bytes(weights, mutation[1]) if mutation[0] == "bytes"
            else _mutate_h5(weights, mutation[1]))
    with _sandbox() as d:
        with open("m.weights.h5", "wb") as f:
            f.write(data)

        def load():
            model.load_weights("m.weights.h5")
            return model

        _check_load(load, d, "m.weights.h5")
