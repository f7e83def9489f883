"""The ``.keras`` zip format and ``.weights.h5`` files.

A ``.keras`` file is a zip archive with ``metadata.json``, ``config.json`` (the model's
Keras 3 config, plus its ``compile_config``) and ``model.weights.h5`` (weights and
optimizer state in Keras's HDF5 layout).  Nothing is pickled: loading runs no code from
the file, except a ``Lambda`` layer's bytecode when ``safe_mode=False``.  Every write goes
to a temporary file in the target directory that is then renamed over the target, so an
interrupted save never leaves a half-written file behind.
"""

from __future__ import annotations

import contextlib
import datetime
import io
import json
import os
import tempfile
import warnings
import zipfile

import h5py

from nbkeras import _weight_budget
from nbkeras.saving import limits, object_registration, serialization_lib, weights_h5

CONFIG_FILENAME = "config.json"
METADATA_FILENAME = "metadata.json"
WEIGHTS_FILENAME = "model.weights.h5"
#: The Keras file-format version the files follow (written as ``keras_version``).
KERAS_FORMAT_VERSION = "3.15.1"
_EXPECTED = (
    "a .keras zip archive containing config.json, metadata.json and model.weights.h5 "
    "(written by model.save)"
)


# ---------------------------------------------------------------------- atomic writes
@contextlib.contextmanager
def atomic_path(filepath: str, overwrite: bool = True):
    """Yield a temporary path next to ``filepath``; rename it over ``filepath`` on success."""
    filepath = os.fspath(filepath)
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(
            f"'{filepath}' already exists and overwrite=False. Pass overwrite=True to "
            "replace it, or choose another path."
        )
    directory = os.path.dirname(os.path.abspath(filepath))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(filepath)}.",
                               suffix=".tmp")
    os.close(fd)
    try:
        yield tmp
        if _is_main_process():
            os.replace(tmp, filepath)
        else:  # several processes (jax.distributed): only process 0 writes files
            os.remove(tmp)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise


def _is_main_process() -> bool:
    import jax

    return jax.process_index() == 0


# ---------------------------------------------------------------------- configs
def serialize_model(model) -> dict:
    """The full ``config.json`` content: model config plus ``compile_config``."""
    config = serialization_lib.serialize_keras_object(model)
    compile_config = get_compile_config(model)
    if compile_config is not None:
        config["compile_config"] = compile_config
    return config


def get_compile_config(model) -> dict | None:
    """Keras's ``compile_config`` of a compiled model (None if not compiled)."""
    state = getattr(model, "training_state", None)
    if state is None:
        return None
    from nbkeras.optimizers import OptaxOptimizer

    args = dict(state.compile_args)
    optimizer = state.optimizer
    if isinstance(optimizer, OptaxOptimizer):
        warnings.warn(
            "The model was compiled with a raw optax transformation, which cannot be "
            "saved in a config; load_model will return the model uncompiled. Use an "
            "nbkeras optimizer (e.g. nbkeras.optimizers.Adam) to save the training setup.",
            stacklevel=4,
        )
        return None
    ser = serialization_lib.serialize_keras_object
    try:
        return {
            "optimizer": ser(optimizer),
            "loss": ser(args.get("loss")),
            "loss_weights": ser(args.get("loss_weights")),
            "metrics": ser(args.get("metrics")),
            "weighted_metrics": ser(args.get("weighted_metrics")),
            "run_eagerly": False,
            "steps_per_execution": args.get("steps_per_execution", 1),
            "jit_compile": True,
        }
    except (TypeError, ValueError, NotImplementedError) as e:
        warnings.warn(
            f"The compile arguments of model '{model.name}' cannot be saved ({e}); "
            "load_model will return the model uncompiled.",
            stacklevel=4,
        )
        return None


def compile_from_config(model, config: dict, custom_objects=None) -> None:
    """``model.compile(...)`` from a saved ``compile_config``; warns if that fails."""
    from nbkeras import optimizers

    des = serialization_lib.deserialize_keras_object
    try:
        opt = config.get("optimizer", "rmsprop")
        opt = optimizers.deserialize(opt, custom_objects) if isinstance(opt, dict) else opt
        spe = config.get("steps_per_execution", 1)
        model.compile(
            optimizer=opt,
            loss=(des(config.get("loss"), custom_objects)),
            loss_weights=des(config.get("loss_weights"), custom_objects),
            metrics=(des(config.get("metrics"), custom_objects)),
            weighted_metrics=(des(config.get("weighted_metrics"), custom_objects)),
            steps_per_execution=spe if isinstance(spe, int) and spe >= 1 else 1,
        )
    except Exception as e:  # noqa: BLE001 - any bad compile_config: warn, stay usable
        warnings.warn(
            f"Could not compile the loaded model from its saved compile_config: {e}. The "
            "model is returned uncompiled; call model.compile(...) before training.",
            stacklevel=3,
        )


# ---------------------------------------------------------------------- save
def save_model(model, filepath, overwrite: bool = True, zipped: bool | None = None,
               **kwargs) -> None:
    """Save architecture, weights, optimizer state and compile config to ``.keras``.

    Args:
        model: The model.
        filepath: Path ending in ``.keras``.
        overwrite: Replace an existing file (else raise ``FileExistsError``).
        zipped: ``False`` writes a directory with the same three files instead of a zip.

    Raises:
        ValueError: For another extension, or an unbuilt model.
    """
    include_optimizer = kwargs.pop("include_optimizer", True)
    if kwargs:
        raise TypeError(f"save() got unexpected keyword arguments {sorted(kwargs)}.")
    filepath = os.fspath(filepath)
    if filepath.endswith((".h5", ".hdf5")):
        raise ValueError(
            f"nbkeras does not write the legacy Keras 2 HDF5 model format ('{filepath}'). "
            "Save the whole model to a '.keras' file, or only the weights with "
            "model.save_weights('name.weights.h5')."
        )
    if not filepath.endswith(".keras"):
        raise ValueError(
            f"Invalid filepath extension for saving: '{filepath}'. model.save() writes the "
            "'.keras' format; add '.keras' to the name, e.g. 'model.keras'."
        )
    _require_built(model, "save")
    config = serialize_model(model)
    metadata = {
        "keras_version": KERAS_FORMAT_VERSION,
        "nbkeras_version": _nbkeras_version(),
        "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
    }
    buf = io.BytesIO()
    with h5py.File(buf, "w") as h5:
        weights_h5.write_model_weights(model, h5, include_optimizer=include_optimizer)
    if zipped is False:
        _save_directory(filepath, overwrite, config, metadata, buf.getvalue())
        return
    with atomic_path(filepath, overwrite) as tmp:
        with zipfile.ZipFile(tmp, "w") as zf:
            zf.writestr(METADATA_FILENAME, json.dumps(metadata))
            zf.writestr(CONFIG_FILENAME, json.dumps(config))
            zf.writestr(WEIGHTS_FILENAME, buf.getvalue())


def _save_directory(path, overwrite, config, metadata, weights: bytes) -> None:
    if os.path.exists(path) and not overwrite:
        raise FileExistsError(f"'{path}' already exists and overwrite=False.")
    os.makedirs(path, exist_ok=True)
    for name, data in (
        (METADATA_FILENAME, json.dumps(metadata).encode()),
        (CONFIG_FILENAME, json.dumps(config).encode()),
        (WEIGHTS_FILENAME, weights),
    ):
        with atomic_path(os.path.join(path, name)) as tmp, open(tmp, "wb") as f:
            f.write(data)


def _nbkeras_version() -> str:
    import sys

    # the public package is initialised before any of its submodules: no import needed
    return getattr(sys.modules.get("nbkeras"), "__version__", "unknown")


def _require_built(model, what: str) -> None:
    if not getattr(model, "built", False):
        raise ValueError(
            f"Model '{model.name}' is not built yet, so it has no weights to {what}. Build "
            "it first: call it on data, call model.build(input_shape), or start it with an "
            "Input(shape=...)."
        )


def save_weights(model, filepath, overwrite: bool = True, max_shard_size=None) -> None:
    """Write the weights (and optimizer state) to a Keras 3 ``.weights.h5`` file.

    Raises:
        ValueError: If the name does not end in ``.weights.h5`` or the model is unbuilt.
    """
    filepath = os.fspath(filepath)
    if max_shard_size is not None:
        from nbkeras.saving import sharding

        return sharding.save_sharded(model, filepath, overwrite, max_shard_size)
    if not filepath.endswith(".weights.h5"):
        raise ValueError(
            f"The filename must end in '.weights.h5'. Received: filepath='{filepath}'. "
            "For the whole model (architecture + weights) use model.save('name.keras')."
        )
    _require_built(model, "save")
    with atomic_path(filepath, overwrite) as tmp, h5py.File(tmp, "w") as h5:
        weights_h5.write_model_weights(model, h5)


# ---------------------------------------------------------------------- load
def load_weights(model, filepath, skip_mismatch: bool = False, **kwargs) -> None:
    """Load weights from ``.weights.h5``, ``.keras`` (or a sharded ``.weights.json``).

    Raises:
        ValueError: For a missing, foreign, corrupt or mismatching file.
    """
    filepath = os.fspath(filepath)
    if kwargs:
        raise TypeError(f"load_weights() got unexpected keyword arguments {sorted(kwargs)}.")
    _require_built(model, "load into")
    if not os.path.exists(filepath):
        raise ValueError(f"File not found: '{filepath}'. Check the path passed to load_weights.")
    if filepath.endswith(".json"):
        from nbkeras.saving import sharding

        sharding.load_sharded(model, filepath, skip_mismatch)
    elif filepath.endswith(".keras") or zipfile.is_zipfile(filepath) or os.path.isdir(filepath):
        with _open_archive(filepath) as archive:
            data = archive.read(WEIGHTS_FILENAME, limits.max_weights_file_bytes(model))
        with _open_h5(io.BytesIO(data), f"{filepath}/{WEIGHTS_FILENAME}") as h5:
            weights_h5.read_model_weights(model, h5, filepath, skip_mismatch)
    else:
        with _open_h5(filepath, filepath) as h5:
            weights_h5.read_model_weights(model, h5, filepath, skip_mismatch)
    state = getattr(model, "training_state", None)
    if state is not None:
        state.reload_from_model()  # a running fit continues from the loaded weights


@contextlib.contextmanager
def _open_h5(source, label: str):
    try:
        h5 = h5py.File(source, "r")
    except OSError as e:
        raise ValueError(
            f"'{label}' is not a readable HDF5 weights file (expected a Keras 3 "
            f"'.weights.h5' file written by save_weights); it may be truncated or corrupt: "
            f"{e}"
        ) from None
    try:
        yield h5
    except (OSError, KeyError, RuntimeError) as e:
        raise ValueError(f"'{label}' is corrupt: reading its weights failed: {e}") from None
    finally:
        h5.close()


class _Archive:
    """Read members of a .keras zip (or of an unzipped .keras directory) with clear errors."""

    def __init__(self, filepath):
        self.filepath = filepath
        self.zf = None
        if not os.path.isdir(filepath):
            try:
                self.zf = zipfile.ZipFile(filepath, "r")
            except (zipfile.BadZipFile, OSError) as e:
                raise ValueError(_not_a_keras_file(filepath, str(e))) from None

    def names(self) -> list[str]:
        if self.zf is None:
            return sorted(os.listdir(self.filepath))
        return self.zf.namelist()

    def size(self, name: str) -> int:
        """The member's inflated size as the archive declares it (nothing is read)."""
        if name not in self.names():
            raise ValueError(
                f"'{self.filepath}' has no {name}: expected {_EXPECTED}; the archive contains "
                f"{self.names()[:10]}."
            )
        if self.zf is None:
            path = os.path.join(self.filepath, name)
            if os.path.islink(path) or not os.path.isfile(path):
                raise ValueError(
                    f"'{path}' is a link or not a regular file. A .keras directory must hold "
                    "its files itself: nbkeras reads nothing outside the saved model."
                )
            return os.path.getsize(path)
        return self.zf.getinfo(name).file_size

    def read(self, name: str, limit: int | None = None) -> bytes:
        """The member's bytes; with ``limit``, refuse (before reading) a larger member."""
        size = self.size(name)
        if limit is not None:
            limits.check_member_size(size, limit, name, self.filepath)
        if self.zf is None:
            with open(os.path.join(self.filepath, name), "rb") as f:
                return f.read(size + 1)
        try:
            with self.zf.open(name) as f:
                return f.read()  # zipfile stops at the declared size (then checks the CRC)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError,
                RuntimeError) as e:
            raise ValueError(
                f"'{self.filepath}' is corrupt: its member {name} cannot be read ({e})."
            ) from None

    def close(self):
        if self.zf is not None:
            self.zf.close()


@contextlib.contextmanager
def _open_archive(filepath):
    archive = _Archive(filepath)
    try:
        yield archive
    finally:
        archive.close()


def _not_a_keras_file(filepath, detail: str = "") -> str:
    size = os.path.getsize(filepath) if os.path.isfile(filepath) else 0
    with open(filepath, "rb") as f:
        head = f.read(8)
    kind = ""
    if head.startswith(b"\x89HDF"):
        kind = (
            " It is an HDF5 file: load weights with model.load_weights(path), or for a "
            "legacy Keras 2 '.h5' model re-save it with Keras 3 as '.keras'."
        )
    elif head.startswith(b"PK"):
        kind = " It starts like a zip archive but cannot be read: it is probably truncated."
    return (
        f"'{filepath}' is not a valid .keras file: expected {_EXPECTED}. The file has "
        f"{size} bytes and starts with {head!r}.{kind}" + (f" ({detail})" if detail else "")
    )


def load_model(filepath, custom_objects: dict | None = None, compile: bool = True,
               safe_mode: bool = True):
    """Load a model saved with ``model.save("name.keras")`` (by nbkeras or Keras 3).

    Args:
        filepath: Path of the ``.keras`` file (or unzipped directory).
        custom_objects: Name -> class/function for custom layers, losses, etc. that are
            not registered with ``register_keras_serializable``.
        compile: Re-compile with the saved compile config and restore the optimizer
            state, so ``fit`` continues where it stopped.
        safe_mode: Refuse to load Python lambdas (bytecode) stored in the file.

    Returns:
        The model.

    Raises:
        ValueError: If the file is missing, not a ``.keras`` file, truncated or corrupt,
            or a lambda is refused in safe mode.

    Example:
        >>> model.save("model.keras")                      # doctest: +SKIP
        >>> model = nbkeras.models.load_model("model.keras")  # doctest: +SKIP
    """
    filepath = os.fspath(filepath)
    if not os.path.exists(filepath):
        raise ValueError(
            f"File not found: '{filepath}'. Please ensure the file is an accessible "
            "'.keras' zip file."
        )
    if filepath.endswith(".weights.h5"):
        raise ValueError(
            f"'{filepath}' holds only weights. Recreate the model in code and call "
            "model.load_weights(path); load_model reads '.keras' files."
        )
    with _open_archive(filepath) as archive:
        if METADATA_FILENAME in archive.names():  # never read, but held to config's cap
            limits.check_member_size(archive.size(METADATA_FILENAME), limits.MAX_CONFIG_BYTES,
                                     METADATA_FILENAME, filepath)
        raw = archive.read(CONFIG_FILENAME, limits.MAX_CONFIG_BYTES)
        config = limits.parse_json(raw, f"'{filepath}' is corrupt: its config.json")
        if not isinstance(config, dict) or "class_name" not in config:
            raise ValueError(
                f"'{filepath}' has a config.json that does not describe a Keras model "
                "(expected a dict with 'class_name' and 'config')."
            )
        stored = archive.size(WEIGHTS_FILENAME)
        compile_config = config.pop("compile_config", None)
        budget = _weight_budget.weight_budget(
            limits.weight_budget_for(stored),
            f"'{filepath}' stores only {_weight_budget.format_bytes(stored)} of weights",
        )
        try:
            with object_registration.CustomObjectScope(custom_objects or {}), budget:
                model = serialization_lib.deserialize_keras_object(
                    config, custom_objects, safe_mode=safe_mode
                )
        except ValueError as e:
            raise ValueError(f"Could not load the model in '{filepath}': {e}") from e
        except RecursionError:
            raise ValueError(
                f"Could not load the model in '{filepath}': its config nests models or "
                "layers too deeply to rebuild. The file is corrupt or crafted."
            ) from None
        except Exception as e:  # a config nbkeras did not write: the file is at fault
            where = serialization_lib.config_error_origin(e)
            raise ValueError(
                f"Could not load the model in '{filepath}': its config.json is invalid"
                f"{where} ({type(e).__name__}: {e}). The file is corrupt, was edited by "
                "hand, or was written by an incompatible program."
            ) from e
        weights = archive.read(WEIGHTS_FILENAME, limits.max_weights_file_bytes(model))
    if compile and compile_config:
        with serialization_lib.SafeModeScope(safe_mode):
            compile_from_config(model, compile_config, custom_objects)
    with _open_h5(io.BytesIO(weights), f"{filepath}/{WEIGHTS_FILENAME}") as h5:
        weights_h5.read_model_weights(model, h5, filepath, load_optimizer=compile)
    return model


def model_from_json(json_string: str, custom_objects: dict | None = None):
    """A model (with fresh weights) from ``model.to_json()``."""
    config = limits.parse_json(json_string, "The JSON string passed to model_from_json")
    if not isinstance(config, dict):
        raise ValueError(
            "model_from_json expects the JSON of a model config (a JSON object, as written "
            f"by model.to_json()), received a JSON {type(config).__name__}."
        )
    config.pop("compile_config", None)
    with object_registration.CustomObjectScope(custom_objects or {}):
        return serialization_lib.deserialize_keras_object(config, custom_objects)
