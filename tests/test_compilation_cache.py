"""The persistent XLA compilation cache: on by default, bounded, with an opt-out."""

import warnings

import jax
import numpy as np
import pytest

from nbkeras import config


@pytest.fixture
def restore_cache():
    before = (config.compilation_cache_dir(), jax.config.jax_compilation_cache_max_size,
              jax.config.jax_persistent_cache_min_compile_time_secs)
    yield
    path, size, secs = before
    if path is None:
        config.disable_compilation_cache()
    else:
        config.enable_compilation_cache(path, secs, None if size < 0 else size)


def test_on_by_default_in_the_user_cache_dir(tmp_path, monkeypatch, restore_cache):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("NBKERAS_COMPILATION_CACHE", raising=False)
    config.disable_compilation_cache()
    config._from_env()  # what ``import nbkeras`` runs
    assert config.compilation_cache_dir() == str(tmp_path / "nbkeras" / "xla")
    assert jax.config.jax_compilation_cache_max_size == config.DEFAULT_MAX_SIZE_BYTES
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


def test_unbounded_then_bounded_on_one_directory_keeps_caching(tmp_path, restore_cache):
    # CI failure: an unbounded process left entries without "-atime" files; every later
    # bounded write then warned "Error writing persistent compilation cache entry".
    config.enable_compilation_cache(tmp_path, 0.0, None)
    _compile_something(3.0)
    config.enable_compilation_cache(tmp_path, 0.0, config.DEFAULT_MAX_SIZE_BYTES)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _compile_something(4.0)
    entries = sorted(p.name for p in tmp_path.iterdir() if p.name.endswith("-cache"))
    assert len(entries) >= 2
    for name in entries:
        assert (tmp_path / name.replace("-cache", "-atime")).exists(), name


def test_entries_without_access_time_are_repaired_and_evicted_first(tmp_path, restore_cache):
    stale = tmp_path / "jit_old-0123-cache"
    stale.write_bytes(b"x" * 2000)  # what plain JAX with no size limit leaves behind
    config.enable_compilation_cache(tmp_path, 0.0, 1)  # bounded: anything new evicts
    atime = tmp_path / "jit_old-0123-atime"
    assert int.from_bytes(atime.read_bytes(), "little") == stale.stat().st_mtime_ns
    config.enable_compilation_cache(tmp_path, 0.0, 5000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _compile_something(5.0)
    assert not stale.exists() and not atime.exists()
