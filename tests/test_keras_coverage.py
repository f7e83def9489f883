"""Which of Keras 3's public names nbkeras has, per namespace (introspected from the
installed keras).

Prints a coverage table (``pytest -s tests/test_keras_coverage.py``). Fails if a name of
``MUST_HAVE`` is missing, or if a missing name has no reason in
``tests/coverage_exceptions.py`` (so every gap is a decision, written down).
"""

import importlib
import os
import types

os.environ["KERAS_BACKEND"] = "jax"

import pytest  # noqa: E402
from coverage_exceptions import MISSING  # noqa: E402  (tests/ is on sys.path)

# keras namespace -> nbkeras module that must provide its names.
NAMESPACES = {
    "": "", "layers": "layers", "ops": "ops", "ops.image": "ops.image",
    "ops.linalg": "ops.linalg", "ops.nn": "ops", "ops.numpy": "ops", "utils": "utils",
    "losses": "losses", "metrics": "metrics", "optimizers": "optimizers",
    "optimizers.schedules": "optimizers.schedules", "callbacks": "callbacks",
    "activations": "activations", "initializers": "initializers",
    "regularizers": "regularizers", "constraints": "constraints", "models": "models",
    "backend": "backend", "random": "random", "tree": "tree", "config": "config",
    "saving": "saving", "datasets": "datasets", "mixed_precision": "mixed_precision",
    "dtype_policies": "dtype_policies", "applications": "applications",
    "distribution": "distribution", "quantizers": "quantizers", "export": "export",
    "preprocessing": "preprocessing", "visualization": "visualization",
    "wrappers": "wrappers",
}  # fmt: skip

# Names real programs (the keras.io guides and examples) use every day.
MUST_HAVE = {
    "": ["Input", "Model", "Sequential", "Layer", "layers", "ops", "optimizers", "losses",
         "metrics", "callbacks", "utils", "backend", "config", "random", "tree", "saving",
         "models", "activations", "initializers", "mixed_precision"],
    "layers": ["Dense", "Conv2D", "MaxPooling2D", "Flatten", "Dropout", "BatchNormalization",
               "LayerNormalization", "Embedding", "Input", "InputLayer", "Layer", "Activation",
               "Add", "Concatenate", "Rescaling", "Normalization", "GlobalAveragePooling2D",
               "Reshape", "Lambda"],
    "ops": ["matmul", "sum", "mean", "square", "sqrt", "reshape", "concatenate", "stack",
            "softmax", "relu", "sigmoid", "convert_to_tensor", "cast", "where", "argmax",
            "one_hot", "image", "linalg", "fft", "rfft", "stft", "dot_product_attention",
            "scatter_update", "rearrange", "logsumexp", "top_k"],
    "ops.image": ["resize", "rgb_to_grayscale", "extract_patches", "pad_images",
                  "crop_images"],
    "ops.linalg": ["det", "inv", "solve", "svd", "qr", "cholesky", "norm"],
    "backend": ["backend", "epsilon", "floatx", "set_floatx", "image_data_format",
                "clear_session", "is_keras_tensor", "standardize_dtype", "result_type"],
    "config": ["backend", "floatx", "set_floatx", "epsilon", "image_data_format",
               "enable_unsafe_deserialization", "dtype_policy", "set_dtype_policy"],
    "random": ["normal", "uniform", "SeedGenerator", "randint", "shuffle", "dropout"],
    "tree": ["flatten", "map_structure", "pack_sequence_as", "is_nested"],
    "utils": ["set_random_seed", "to_categorical", "register_keras_serializable",
              "get_custom_objects", "custom_object_scope", "serialize_keras_object",
              "deserialize_keras_object", "plot_model", "pad_sequences", "normalize"],
    "mixed_precision": ["set_global_policy", "global_policy", "Policy", "DTypePolicy"],
    "callbacks": ["Callback", "EarlyStopping", "ModelCheckpoint", "History",
                  "LearningRateScheduler", "ReduceLROnPlateau", "TensorBoard"],
    "activations": ["relu", "softmax", "gelu", "get", "serialize", "deserialize"],
}  # fmt: skip


def _public(module) -> list[str]:
    return sorted(
        n for n in dir(module)
        if not n.startswith("_") and (module.__name__ in ("keras", "keras.datasets")
                                      or not isinstance(getattr(module, n), types.ModuleType))
    )


def _keras_names(ns: str) -> list[str]:
    module = importlib.import_module("keras" + (f".{ns}" if ns else ""))
    names = _public(module)
    if not ns:  # the top level: classes/functions and the namespaces themselves
        names = [n for n in names if n not in ("src", "version") or n == "version"]
    return names


def _ours(ns: str):
    import nbkeras

    target = NAMESPACES[ns]
    if not target:
        return nbkeras
    obj = nbkeras
    for part in target.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


def coverage() -> dict[str, tuple[list[str], list[str]]]:
    table = {}
    for ns in NAMESPACES:
        names = _keras_names(ns)
        ours = _ours(ns)
        missing = [n for n in names if ours is None or not hasattr(ours, n)]
        table[ns] = (names, missing)
    return table


@pytest.fixture(scope="module")
def table():
    return coverage()


def test_print_coverage_table(table):
    lines = [f"{'namespace':<22}{'have':>6}{'keras':>7}"]
    for ns, (names, missing) in table.items():
        lines.append(f"{'keras.' + ns if ns else 'keras':<22}{len(names) - len(missing):>6}"
                     f"{len(names):>7}")
    print("\n".join(lines))
    assert table["ops"][0], "keras.ops must have names (introspection broken?)"


def test_must_have_names_exist(table):
    absent = {ns: [n for n in names if n in table[ns][1]] for ns, names in MUST_HAVE.items()}
    absent = {ns: v for ns, v in absent.items() if v}
    assert not absent, f"Must-have Keras names missing from nbkeras: {absent}"


def test_every_missing_name_has_a_reason(table):
    unexplained = {}
    for ns, (_, missing) in table.items():
        reasons = MISSING.get(ns, {})
        gaps = [n for n in missing if not reasons.get(n)]
        if gaps:
            unexplained[ns] = gaps
    assert not unexplained, (
        "Keras names missing from nbkeras without a reason in tests/coverage_exceptions.py: "
        f"{unexplained}"
    )


def test_no_stale_reasons(table):
    """A name that now exists must leave the exceptions file (it would hide a regression)."""
    stale = {ns: sorted(set(r) - set(table[ns][1])) for ns, r in MISSING.items() if ns in table}
    stale = {ns: v for ns, v in stale.items() if v}
    assert not stale, f"remove these from tests/coverage_exceptions.py, nbkeras has them: {stale}"
    assert set(MISSING) <= set(NAMESPACES), sorted(set(MISSING) - set(NAMESPACES))
