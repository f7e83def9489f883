"""Files from strangers: a crafted .keras or .weights.h5 must not run code or read other files.

Each test builds the hostile file itself (a payload that would create a sentinel file, an
HDF5 file that points at a secret file outside it) and checks that loading with the
defaults refuses it with a clear ValueError and that nothing happened.
"""

import json
import os
import re
import struct
import tracemalloc
import zipfile
import zlib

import h5py
import numpy as np
import pytest

import nbkeras as keras
from nbkeras import layers


def _triple(x):
    return x * 3.0


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    d = tmp_path_factory.mktemp("hostile")
    inp = keras.Input((2,), name="x")
    out = layers.Dense(3, name="dense")(inp)
    model = keras.Model(inp, out)
    model.save(d / "ok.keras")
    model.save_weights(d / "ok.weights.h5")
    return d, model


def _rewrite(src, dst, config=None, weights=None):
    with zipfile.ZipFile(src) as zf, zipfile.ZipFile(dst, "w") as out:
        for name in zf.namelist():
            data = zf.read(name)
            if name == "config.json" and config is not None:
                data = json.dumps(config)
            if name == "model.weights.h5" and weights is not None:
                data = weights
            out.writestr(name, data)


def _config(path):
    with zipfile.ZipFile(path) as zf:
        return json.loads(zf.read("config.json"))


def _fn(module, name):
    return {"module": module, "class_name": "function", "config": name,
            "registered_name": "function"}


def _evil_lambda(config, function, args, arguments=None):
    config["config"]["layers"].append({
        "module": "keras.layers", "class_name": "Lambda", "name": "evil",
        "config": {"name": "evil", "function": function, "arguments": arguments or {}},
        "inbound_nodes": [{"args": args, "kwargs": {}}],
    })
    return config


# ---------------------------------------------------------------------- code execution
@pytest.mark.parametrize("module, name, make_args", [
    ("os", "system", lambda s: [f"touch {s}"]),
    ("subprocess", "getoutput", lambda s: [f"touch {s}"]),
    ("subprocess", "call", lambda s: [["touch", str(s)]]),
])
def test_lambda_naming_a_foreign_function_is_refused(saved, tmp_path, module, name, make_args):
    d, _ = saved
    sentinel = tmp_path / "sentinel"
    config = _evil_lambda(_config(d / "ok.keras"), _fn(module, name), make_args(sentinel))
    _rewrite(d / "ok.keras", tmp_path / "evil.keras", config=config)
    with pytest.raises(ValueError, match=(
        rf"evil\.keras.*function '{name}' from the module '{module}'.*Lambda layer 'evil'.*"
        r"safe mode.*safe_mode=False"
    )):
        keras.models.load_model(tmp_path / "evil.keras")
    assert not sentinel.exists()


def test_foreign_function_in_lambda_arguments_is_refused(saved, tmp_path):
    d, _ = saved
    sentinel = tmp_path / "sentinel"
    # A harmless-looking nbkeras function, but a foreign callable smuggled in `arguments`.
    config = _evil_lambda(
        _config(d / "ok.keras"), _fn("keras.ops", "add"), [f"touch {sentinel}"],
        arguments={"key": _fn("os", "system")},
    )
    _rewrite(d / "ok.keras", tmp_path / "evil.keras", config=config)
    with pytest.raises(ValueError, match=r"function 'system' from the module 'os'.*safe_mode"):
        keras.models.load_model(tmp_path / "evil.keras")
    assert not sentinel.exists()


def test_activation_naming_a_foreign_function_is_refused(saved, tmp_path):
    d, _ = saved
    config = _config(d / "ok.keras")
    dense = next(la for la in config["config"]["layers"] if la["class_name"] == "Dense")
    dense["config"]["activation"] = _fn("os", "system")
    _rewrite(d / "ok.keras", tmp_path / "evil.keras", config=config)
    with pytest.raises(ValueError, match=r"evil\.keras.*activation.*'system'"):
        keras.models.load_model(tmp_path / "evil.keras")


def test_own_functions_need_custom_objects_or_safe_mode_off(tmp_path):
    model = keras.Sequential([keras.Input((2,)), layers.Lambda(_triple), layers.Dense(1)])
    model.save(tmp_path / "mine.keras")
    x = np.ones((2, 2), "float32")
    with pytest.raises(ValueError, match=r"'_triple'.*custom_objects=\{'_triple': _triple\}"):
        keras.models.load_model(tmp_path / "mine.keras")
    for kwargs in ({"custom_objects": {"_triple": _triple}}, {"safe_mode": False}):
        loaded = keras.models.load_model(tmp_path / "mine.keras", **kwargs)
        assert loaded.layers[0].function is _triple
        np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_nbkeras_and_jax_functions_still_load_in_safe_mode(tmp_path):
    import jax.numpy as jnp

    model = keras.Sequential([keras.Input((2,)), layers.Lambda(jnp.tanh),
                              layers.Lambda(keras.ops.relu), layers.Dense(1)])
    model.save(tmp_path / "fns.keras")
    loaded = keras.models.load_model(tmp_path / "fns.keras")
    x = np.linspace(-1, 1, 6, dtype="float32").reshape(3, 2)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                               atol=1e-6)


# ---------------------------------------------------------------------- HDF5 reading outside
SECRET = np.arange(6, dtype="float32").reshape(2, 3) + 1000.0


def _secret_files(tmp_path):
    with h5py.File(tmp_path / "secret.h5", "w") as f:
        f["data"] = SECRET
    (tmp_path / "secret.bin").write_bytes(SECRET.tobytes())
    return tmp_path / "secret.h5", tmp_path / "secret.bin"


def _hostile_weights(src, dst, kind, secret_h5, secret_bin):
    with open(src, "rb") as f:
        data = f.read()
    with open(dst, "wb") as f:
        f.write(data)
    with h5py.File(dst, "a") as h5:
        group = h5["layers/dense/vars"]
        del group["0"]
        if kind == "external_link":
            group["0"] = h5py.ExternalLink(str(secret_h5), "/data")
        elif kind == "soft_link":
            h5["stash"] = SECRET
            group["0"] = h5py.SoftLink("/stash")
        elif kind == "external_storage":
            group.create_dataset("0", shape=SECRET.shape, dtype="float32",
                                 external=[(str(secret_bin), 0, SECRET.nbytes)])
        elif kind == "virtual":
            layout = h5py.VirtualLayout(shape=SECRET.shape, dtype="float32")
            layout[:] = h5py.VirtualSource(str(secret_h5), "data", shape=SECRET.shape)
            group.create_virtual_dataset("0", layout)


HOSTILE = {
    "external_link": r"external link at '/layers/dense/vars/0'.*secret\.h5",
    "soft_link": r"soft link at '/layers/dense/vars/0'",
    "external_storage": r"dataset '/layers/dense/vars/0'.*external file.*secret\.bin",
    "virtual": r"virtual dataset at '/layers/dense/vars/0'.*secret\.h5",
}


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_weights_file_reaching_outside_is_refused(saved, tmp_path, kind):
    d, model = saved
    secret_h5, secret_bin = _secret_files(tmp_path)
    bad = tmp_path / "bad.weights.h5"
    _hostile_weights(d / "ok.weights.h5", bad, kind, secret_h5, secret_bin)
    before = [np.asarray(w) for w in model.get_weights()]
    with pytest.raises(ValueError, match=HOSTILE[kind] + r".*only plain datasets"):
        model.load_weights(bad)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("kind", ["external_link", "external_storage", "virtual"])
def test_keras_archive_reaching_outside_is_refused(saved, tmp_path, kind):
    d, _ = saved
    secret_h5, secret_bin = _secret_files(tmp_path)
    inner = tmp_path / "inner.weights.h5"
    with zipfile.ZipFile(d / "ok.keras") as zf:
        inner.write_bytes(zf.read("model.weights.h5"))
    _hostile_weights(inner, tmp_path / "w.h5", kind, secret_h5, secret_bin)
    _rewrite(d / "ok.keras", tmp_path / "bad.keras", weights=(tmp_path / "w.h5").read_bytes())
    with pytest.raises(ValueError, match=HOSTILE[kind]):
        keras.models.load_model(tmp_path / "bad.keras")


def test_non_numeric_and_misplaced_datasets(saved, tmp_path):
    d, model = saved
    bad = tmp_path / "str.weights.h5"
    bad.write_bytes((d / "ok.weights.h5").read_bytes())
    with h5py.File(bad, "a") as h5:
        del h5["layers/dense/vars/1"]
        h5["layers/dense/vars/1"] = np.array([b"a", b"b", b"c"])
    with pytest.raises(ValueError, match=r"dataset '/layers/dense/vars/1' of type \|S1.*numbers"):
        model.load_weights(bad)
    with h5py.File(bad, "a") as h5:
        del h5["layers/dense/vars/1"]
        h5["layers/dense/vars"].create_group("1")
    with pytest.raises(ValueError, match=r"'layers/dense/vars/1' should be a dataset"):
        model.load_weights(bad)


def test_plain_files_still_load(saved):
    d, model = saved
    weights = [np.asarray(w) for w in model.get_weights()]
    model.load_weights(d / "ok.weights.h5")
    loaded = keras.models.load_model(d / "ok.keras")
    for a, b in zip(weights, loaded.get_weights()):
        np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------------------- memory bombs
def _deflate_repeat(chunk: bytes, times: int):
    """A raw deflate stream of ``chunk * times`` built without compressing it all."""
    co = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = co.compress(chunk) + co.flush(zlib.Z_FULL_FLUSH)  # byte-aligned, no history
    crc = 0
    for _ in range(times):
        crc = zlib.crc32(chunk, crc)
    final = zlib.compressobj(9, zlib.DEFLATED, -15).flush()
    return block * times + final, len(chunk) * times, crc


def _write_zip(path, members):
    """Write a zip of ``{name: bytes | (deflate_stream, size, crc)}`` by hand."""
    out = bytearray()
    central = bytearray()
    for name, member in members.items():
        if isinstance(member, bytes):
            co = zlib.compressobj(6, zlib.DEFLATED, -15)
            member = (co.compress(member) + co.flush(), len(member), zlib.crc32(member))
        data, size, crc = member
        fname = name.encode()
        offset = len(out)
        out += struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0x21, crc, len(data),
                           size, len(fname), 0) + fname + data
        central += struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 8, 0, 0x21, crc,
                               len(data), size, len(fname), 0, 0, 0, 0, 0, offset) + fname
    n = len(members)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, n, n, len(central), len(out), 0)
    path.write_bytes(bytes(out + central + end))


def _members(path):
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def _peak_python_bytes(fn):
    tracemalloc.start()
    try:
        fn()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


GB = 2**30


@pytest.mark.parametrize("member", ["config.json", "metadata.json", "model.weights.h5"])
def test_zip_bomb_is_refused_before_inflating(saved, tmp_path, member):
    d, _ = saved
    members = _members(d / "ok.keras")
    members[member] = _deflate_repeat(b" " * 2**24, GB // 2**24)
    bomb = tmp_path / "bomb.keras"
    _write_zip(bomb, members)
    assert bomb.stat().st_size < 2 * 2**20  # a ~1 MB file that inflates to 1 GB

    def load():
        with pytest.raises(ValueError, match=(
            rf"bomb\.keras.*{re.escape(member)} inflates to 1\.0 GB.*zip bomb.*not read"
        )):
            keras.models.load_model(bomb)

    assert _peak_python_bytes(load) < 100 * 2**20


def test_config_asking_for_huge_weights_is_refused(saved, tmp_path):
    d, _ = saved
    config = _config(d / "ok.keras")
    dense = next(la for la in config["config"]["layers"] if la["class_name"] == "Dense")
    dense["config"]["units"] = 2**17
    inp = next(la for la in config["config"]["layers"] if la["class_name"] == "InputLayer")
    inp["config"]["batch_shape"] = [None, 2**12]
    _rewrite(d / "ok.keras", tmp_path / "big.keras", config=config)

    def load():
        with pytest.raises(ValueError, match=(
            r"Layer 'dense' asks for a weight 'kernel' of shape \(4096, 131072\) \(2\.0 GB\), "
            r"but '[^']*big\.keras' stores only .* KB of weights.*corrupt or crafted"
        )):
            keras.models.load_model(tmp_path / "big.keras")

    assert _peak_python_bytes(load) < 100 * 2**20


def _nested(depth):
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", [150, 100_000])
def test_deeply_nested_json_gives_a_value_error(saved, tmp_path, depth):
    d, _ = saved
    members = _members(d / "ok.keras")
    config = json.loads(members["config.json"])
    config["config"]["name"] = "__NESTED__"
    members["config.json"] = json.dumps(config).replace('"__NESTED__"', _nested(depth)).encode()
    _write_zip(tmp_path / "deep.keras", members)
    with pytest.raises(ValueError, match=r"deep\.keras.*config\.json nests.*more than 100 levels"):
        keras.models.load_model(tmp_path / "deep.keras")
    with pytest.raises(ValueError, match=r"model_from_json nests lists/objects more than 100"):
        keras.models.model_from_json(_nested(depth))


def test_sharded_index_bombs(tmp_path):
    (tmp_path / "deep.weights.json").write_text(_nested(100_000))
    model = keras.Sequential([keras.Input((2,)), layers.Dense(1)])
    with pytest.raises(ValueError, match=r"not a sharded-weights index.*more than 100 levels"):
        model.load_weights(tmp_path / "deep.weights.json")


def test_directory_format_refuses_links(saved, tmp_path):
    d, _ = saved
    secret_h5, _ = _secret_files(tmp_path)
    folder = tmp_path / "linked.keras"
    folder.mkdir()
    for name, data in _members(d / "ok.keras").items():
        if name != "model.weights.h5":
            (folder / name).write_bytes(data)
    os.symlink(secret_h5, folder / "model.weights.h5")
    with pytest.raises(ValueError, match=r"model\.weights\.h5' is a link.*nothing outside"):
        keras.models.load_model(folder)
