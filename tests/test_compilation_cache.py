"""The persistent XLA compilation cache: on by default, bounded, with an opt-out."""

import os
import time
import warnings

import jax
import numpy as np
import pytest

from nbkeras import config


@pytest.fixture
def restore_cache():
    before = (config.compilation_cache_dir(), config._cache_max_size,
              jax.config.jax_persistent_cache_min_compile_time_secs)
    yield
    path, size, secs = before
    if path is None:
        config.disable_compilation_cache()
    else:
        config.enable_compilation_cache(path, secs, size)


def test_on_by_default_in_the_user_cache_dir(tmp_path, monkeypatch, restore_cache):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("NBKERAS_COMPILATION_CACHE", raising=False)
    config.disable_compilation_cache()
    config._from_env()  # what ``import nbkeras`` runs
    assert config.compilation_cache_dir() == str(tmp_path / "nbkeras" / "xla")
    assert config._cache_max_size == config.DEFAULT_MAX_SIZE_BYTES
    # JAX keeps no size itself (its LRU mode scans the directory on every write).
    assert jax.config.jax_compilation_cache_max_size == -1
    assert jax.config.jax_persistent_cache_min_compile_time_secs == config.DEFAULT_MIN_COMPILE_SECS


@pytest.mark.parametrize("value", ["0", "off", "False"])
def test_environment_variable_turns_it_off(value, monkeypatch, restore_cache):
    monkeypatch.setenv("NBKERAS_COMPILATION_CACHE", value)
    config.disable_compilation_cache()
    config._from_env()
    assert config.compilation_cache_dir() is None
    assert jax.config.jax_compilation_cache_dir is None


def test_environment_variable_moves_it(tmp_path, monkeypatch, restore_cache):
    monkeypatch.setenv("NBKERAS_COMPILATION_CACHE", str(tmp_path / "here"))
    config._from_env()
    assert config.compilation_cache_dir() == str(tmp_path / "here")
    jax.jit(lambda a: a * 5.0 - 2.0)(np.arange(9.0, dtype="float32")).block_until_ready()
    assert any((tmp_path / "here").iterdir())  # an explicit directory caches everything


def test_bad_max_size_is_rejected():
    with pytest.raises(ValueError, match="max_size_bytes must be a positive int"):
        config.enable_compilation_cache("/tmp/x", max_size_bytes=0)


def _compile_something(scale):
    jax.jit(lambda a: jax.numpy.tanh(a * scale) - 2.0)(
        np.arange(7.0, dtype="float32")).block_until_ready()


def test_writes_go_on_in_a_directory_an_older_version_used(tmp_path, restore_cache):
    # Older nbkeras kept JAX's LRU files ("-atime" next to each entry); entries with and
    # without them are read, written and trimmed alike, with no warning.
    (tmp_path / "jit_old-0123-cache").write_bytes(b"x" * 100)
    (tmp_path / "jit_old-0123-atime").write_bytes((5).to_bytes(8, "little"))
    config.enable_compilation_cache(tmp_path, 0.0, config.DEFAULT_MAX_SIZE_BYTES)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _compile_something(3.0)
        _compile_something(4.0)
    entries = sorted(p.name for p in tmp_path.iterdir() if p.name.endswith("-cache"))
    assert len(entries) >= 3
    assert not any(p.name.endswith("-atime") and "old" not in p.name for p in tmp_path.iterdir())


def _entry(path, name, size, last_use):
    entry = path / f"{name}-cache"
    entry.write_bytes(b"x" * size)
    os.utime(entry, (last_use, last_use))
    return entry


def test_trim_deletes_least_recently_used_entries_first(tmp_path):
    now = time.time()
    old = _entry(tmp_path, "old", 400, now - 300)
    (tmp_path / "old-atime").write_bytes(b"12345678")  # an older version's companion
    middle = _entry(tmp_path, "middle", 400, now - 200)
    new = _entry(tmp_path, "new", 400, now - 100)
    assert config.trim_compilation_cache(tmp_path, 700) == 2  # to 630 bytes: keep one
    assert not old.exists() and not (tmp_path / "old-atime").exists()
    assert not middle.exists() and new.exists()
    assert config.trim_compilation_cache(tmp_path, 700) == 0


def test_enabling_trims_at_most_once_a_day(tmp_path, restore_cache):
    now = time.time()
    _entry(tmp_path, "a", 600, now - 100)
    config.enable_compilation_cache(tmp_path, 0.0, 1000)
    assert (tmp_path / "a-cache").exists()  # 600 <= 900: kept
    b = _entry(tmp_path, "b", 600, now - 50)
    config.enable_compilation_cache(tmp_path, 0.0, 1000)  # trimmed a moment ago: skipped
    assert (tmp_path / "a-cache").exists() and b.exists()
    day_ago = now - config.EVICT_INTERVAL_S - 10
    os.utime(tmp_path / config._MARKER, (day_ago, day_ago))
    config.enable_compilation_cache(tmp_path, 0.0, 1000)
    assert not (tmp_path / "a-cache").exists() and b.exists()


def test_unbounded_cache_is_never_trimmed(tmp_path, restore_cache):
    entry = _entry(tmp_path, "big", 5000, time.time() - 1000)
    config.enable_compilation_cache(tmp_path, 0.0, None)
    assert entry.exists() and not (tmp_path / config._MARKER).exists()
