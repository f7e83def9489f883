"""nbkeras.ops / nbkeras.random against keras.ops / keras.random (JAX backend)."""

import os

os.environ["KERAS_BACKEND"] = "jax"

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from nbkeras import ops  # noqa: E402
from nbkeras import random as nbrandom  # noqa: E402

rng = np.random.default_rng(0)
A = rng.normal(size=(3, 4)).astype(np.float32)
B = rng.normal(size=(3, 4)).astype(np.float32)
M = rng.normal(size=(4, 5)).astype(np.float32)
P = rng.uniform(0.1, 2.0, size=(3, 4)).astype(np.float32)
U = rng.uniform(-0.9, 0.9, size=(3, 4)).astype(np.float32)
I = rng.integers(0, 4, size=(3, 4)).astype(np.int32)  # noqa: E741
IMG = rng.normal(size=(2, 7, 7, 3)).astype(np.float32)
SEQ = rng.normal(size=(2, 9, 3)).astype(np.float32)
PROB = rng.uniform(0.05, 1.0, size=(4, 5)).astype(np.float32)
ONEHOT = np.eye(5, dtype=np.float32)[[0, 3, 1, 4]]
LABELS = np.array([0, 3, 1, 4], dtype=np.int32)
BIN_T = rng.integers(0, 2, size=(4, 5)).astype(np.float32)

UNARY = [
    "abs", "absolute", "exp", "expm1", "sqrt", "square", "sign", "floor", "ceil",
    "negative", "sin", "cos", "tan", "arctan", "sinh", "cosh", "tanh", "arcsinh",
    "isnan", "isinf", "isfinite", "ravel", "copy", "log", "log1p", "log2", "log10",
    "reciprocal", "arcsin", "arccos", "arctanh", "exp2", "trunc",
]  # fmt: skip
POSITIVE = {"sqrt", "log", "log1p", "log2", "log10", "reciprocal"}
UNIT = {"arcsin", "arccos", "arctanh"}
BINARY = [
    "add", "subtract", "multiply", "divide", "true_divide", "maximum", "minimum", "equal",
    "not_equal", "greater", "greater_equal", "less", "less_equal", "arctan2", "power",
    "mod", "floor_divide", "logical_and", "logical_or", "logical_xor", "divide_no_nan",
]  # fmt: skip

CASES = [
    ("matmul", (A, M), {}),
    ("dot", (A, M), {}),
    ("outer", (A[0], B[0]), {}),
    ("einsum", ("ij,jk->ik", A, M), {}),
    ("tensordot", (A, M), {"axes": 1}),
    ("sum", (A,), {"axis": 1, "keepdims": True}),
    ("sum", (A,), {"axis": [0, 1]}),
    ("mean", (A,), {"axis": 0}),
    ("mean", (I,), {}),
    ("prod", (A,), {"axis": 1}),
    ("max", (A,), {"axis": 1}),
    ("min", (A,), {"axis": 0, "keepdims": True}),
    ("std", (A,), {"axis": 1}),
    ("var", (A,), {}),
    ("any", (A > 1,), {"axis": 0}),
    ("all", (A > -3,), {}),
    ("argmax", (A,), {"axis": 1}),
    ("argmin", (A,), {}),
    ("argmax", (A,), {"axis": 0, "keepdims": True}),
    ("cumsum", (A,), {"axis": 1}),
    ("cumprod", (A,), {"axis": 0}),
    ("count_nonzero", (I,), {"axis": 1}),
    ("norm", (A,), {}),
    ("norm", (A,), {"axis": 1, "ord": 1}),
    ("norm", (A,), {"ord": "fro", "keepdims": True, "axis": (0, 1)}),
    ("reshape", (A, (2, -1)), {}),
    ("transpose", (A,), {}),
    ("transpose", (IMG,), {"axes": (0, 3, 1, 2)}),
    ("expand_dims", (A, 1), {}),
    ("squeeze", (A[:1],), {}),
    ("squeeze", (A[:1],), {"axis": 0}),
    ("concatenate", ([A, B],), {"axis": 1}),
    ("stack", ([A, B],), {"axis": -1}),
    ("tile", (A, (2, 1)), {}),
    ("repeat", (A, 2), {"axis": 0}),
    ("repeat", (A, 2), {}),
    ("flip", (A,), {"axis": 1}),
    ("roll", (A, 1), {"axis": 0}),
    ("swapaxes", (IMG, 1, 3), {}),
    ("moveaxis", (IMG, 3, 1), {}),
    ("broadcast_to", (A[0], (2, 4)), {}),
    ("pad", (A, ((1, 0), (0, 2))), {}),
    ("pad", (A, 1), {"mode": "reflect"}),
    ("take", (A, np.array([2, 0])), {"axis": 0}),
    ("take", (A, np.array([5, 1])), {}),
    ("take_along_axis", (A, np.argsort(A, axis=1)), {"axis": 1}),
    ("where", (A > 0, A, B), {}),
    ("clip", (A, -0.5, 0.5), {}),
    ("sort", (A,), {}),
    ("sort", (A,), {"axis": 0}),
    ("argsort", (A,), {"axis": -1}),
    ("triu", (A,), {"k": 1}),
    ("tril", (A,), {}),
    ("diag", (A,), {}),
    ("diagonal", (A,), {}),
    ("round", (A * 10,), {}),
    ("round", (A,), {"decimals": 2}),
    ("isclose", (A, A + 1e-9), {}),
    ("ones", ((2, 3),), {}),
    ("zeros", ((2,),), {"dtype": "int32"}),
    ("full", ((2, 2), 3.0), {}),
    ("ones_like", (A,), {}),
    ("zeros_like", (I,), {}),
    ("full_like", (A, 2), {}),
    ("arange", (5,), {}),
    ("arange", (1, 7, 2), {"dtype": "float32"}),
    ("linspace", (0.0, 1.0, 7), {}),
    ("eye", (3,), {}),
    ("eye", (3, 4), {"k": 1}),
    ("identity", (3,), {}),
    ("cast", (A, "int32"), {}),
    ("convert_to_tensor", ([[1.0, 2.0]],), {}),
    ("logsumexp", (A,), {"axis": 1}),
    ("erf", (A,), {}),
    ("erfinv", (U,), {}),
    ("rsqrt", (P,), {}),
    ("stop_gradient", (A,), {}),
    # nn
    ("relu", (A,), {}),
    ("relu6", (A * 5,), {}),
    ("sigmoid", (A,), {}),
    ("softmax", (A,), {}),
    ("softmax", (A,), {"axis": 0}),
    ("log_softmax", (A,), {}),
    ("gelu", (A,), {}),
    ("gelu", (A,), {"approximate": False}),
    ("silu", (A,), {}),
    ("elu", (A,), {"alpha": 0.7}),
    ("selu", (A,), {}),
    ("celu", (A,), {}),
    ("glu", (A,), {}),
    ("leaky_relu", (A,), {}),
    ("softplus", (A,), {}),
    ("softsign", (A,), {}),
    ("hard_sigmoid", (A * 4,), {}),
    ("hard_silu", (A * 4,), {}),
    ("hard_tanh", (A * 2,), {}),
    ("log_sigmoid", (A,), {}),
    ("one_hot", (LABELS, 5), {}),
    ("one_hot", (np.array([[1, -1], [2, 0]]), 3), {"axis": 0}),
    ("multi_hot", (np.array([[0, 2], [1, 1]]), 3), {}),
    ("binary_crossentropy", (BIN_T, PROB), {}),
    ("binary_crossentropy", (BIN_T, PROB * 4 - 2), {"from_logits": True}),
    ("categorical_crossentropy", (ONEHOT, PROB), {}),
    ("categorical_crossentropy", (ONEHOT, PROB * 3), {"from_logits": True}),
    ("sparse_categorical_crossentropy", (LABELS, PROB), {}),
    ("sparse_categorical_crossentropy", (LABELS[:, None], PROB * 3), {"from_logits": True}),
    ("moments", (IMG, [0, 1, 2]), {}),
    ("moments", (A, 1), {"keepdims": True}),
    ("normalize", (A,), {}),
    ("normalize", (A,), {"axis": 0, "order": 1}),
    ("batch_normalization", (A, A.mean(0), A.var(0), -1), {"offset": B[0], "scale": P[0]}),
    ("conv", (IMG, rng.normal(size=(3, 3, 3, 4)).astype(np.float32)), {}),
    ("conv", (IMG, rng.normal(size=(3, 3, 3, 4)).astype(np.float32)), {"strides": 2, "padding": "same"}),
    ("conv", (IMG, rng.normal(size=(2, 2, 1, 6)).astype(np.float32)), {"dilation_rate": 2}),
    ("conv", (SEQ, rng.normal(size=(3, 3, 2)).astype(np.float32)), {"padding": "same"}),
    ("conv", (np.moveaxis(IMG, -1, 1), rng.normal(size=(3, 3, 3, 2)).astype(np.float32)), {"data_format": "channels_first"}),
    ("depthwise_conv", (IMG, rng.normal(size=(3, 3, 3, 2)).astype(np.float32)), {"padding": "same"}),
    ("max_pool", (IMG, 2), {}),
    ("max_pool", (IMG, (3, 3)), {"strides": 2, "padding": "same"}),
    ("max_pool", (SEQ, 2), {}),
    ("average_pool", (IMG, 2), {}),
    ("average_pool", (IMG, 3), {"strides": 2, "padding": "same"}),
    ("average_pool", (np.moveaxis(IMG, -1, 1), 2), {"data_format": "channels_first"}),
]  # fmt: skip


def _params():
    for name in UNARY:
        x = P if name in POSITIVE else U if name in UNIT else A
        yield name, (x,), {}
    for name in BINARY:
        if name == "power":
            yield name, (P, B), {}
        elif name.startswith("logical"):
            yield name, (A > 0, B > 0), {}
        elif name in ("mod", "floor_divide"):
            yield name, (A, P), {}
        else:
            yield name, (A, B), {}
    yield "divide_no_nan", (A, np.where(B > 0, B, 0)), {}
    yield "add", (I, 1.5), {}
    yield from CASES


def _compare(ours, theirs):
    if isinstance(theirs, (tuple, list)):
        assert len(ours) == len(theirs)
        for o, t in zip(ours, theirs):
            _compare(o, t)
        return
    o, t = np.asarray(ours), np.asarray(theirs)
    assert o.shape == t.shape
    if t.dtype == bool:
        np.testing.assert_array_equal(o, t)
    else:
        np.testing.assert_allclose(o.astype(np.float64), t.astype(np.float64), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name, args, kwargs", list(_params()), ids=lambda v: v if isinstance(v, str) else "")
def test_matches_keras_ops(name, args, kwargs):
    keras_kwargs = dict(kwargs)
    if name.endswith("_pool") and "strides" not in kwargs:
        # keras 3.15's JAX backend crashes on strides=None; its documented default is pool_size
        keras_kwargs["strides"] = args[1]
    _compare(getattr(ops, name)(*args, **kwargs), getattr(keras.ops, name)(*args, **keras_kwargs))


@pytest.mark.parametrize("name", ["split", "meshgrid"])
def test_list_results_match_keras(name):
    args = (A, 2) if name == "split" else (A[0], B[0, :3])
    kwargs = {"axis": 1} if name == "split" else {"indexing": "ij"}
    _compare(getattr(ops, name)(*args, **kwargs), getattr(keras.ops, name)(*args, **kwargs))


def test_top_k_and_in_top_k_match_keras():
    _compare(ops.top_k(A, 2), keras.ops.top_k(A, 2))
    _compare(ops.in_top_k(LABELS, PROB, 2), keras.ops.in_top_k(LABELS, PROB, 2))


def test_segment_ops_match_keras():
    ids = np.array([0, 0, 2], dtype=np.int32)
    _compare(ops.segment_sum(A, ids, 3), keras.ops.segment_sum(A, ids, 3))
    _compare(ops.segment_max(A, ids, 3), keras.ops.segment_max(A, ids, 3))


def test_shape_queries_and_conversion():
    assert ops.shape(A) == keras.ops.shape(A) == (3, 4)
    assert ops.ndim(IMG) == keras.ops.ndim(IMG) == 4
    assert ops.size(A) == 12
    assert ops.dtype(jnp.ones(2)) == "float32"
    out = ops.convert_to_numpy(ops.ones((2,)))
    assert isinstance(out, np.ndarray) and out.tolist() == [1.0, 1.0]
    assert ops.is_tensor(jnp.ones(1)) and not ops.is_tensor(np.ones(1))


def test_control_flow_matches_keras():
    def body(i, v):
        return v + i * 2.0

    _compare(ops.fori_loop(0, 5, body, 1.0), keras.ops.fori_loop(0, 5, body, 1.0))
    for pred in (True, False):
        _compare(
            ops.cond(pred, lambda: A, lambda: B), keras.ops.cond(pred, lambda: A, lambda: B)
        )

    def step(c, x):
        return c + x, c * x

    _compare(ops.scan(step, 0.0, A[0]), keras.ops.scan(step, 0.0, A[0]))
    _compare(ops.scan(step, 0.0, A[0], reverse=True), keras.ops.scan(step, 0.0, A[0], reverse=True))
    _compare(ops.vectorized_map(jnp.sum, A), keras.ops.vectorized_map(jnp.sum, A))
    _compare(ops.map(jnp.sum, A), keras.ops.map(jnp.sum, A))
    args = (lambda i, s: i < 10, lambda i, s: (i + 1, s * 2), (0, 1))
    _compare(ops.while_loop(*args), keras.ops.while_loop(*args))
    _compare(
        ops.while_loop(*args, maximum_iterations=3), keras.ops.while_loop(*args, maximum_iterations=3)
    )
    _compare(
        ops.while_loop(lambda x: x < 4, lambda x: x + 1, 0), keras.ops.while_loop(lambda x: x < 4, lambda x: x + 1, 0)
    )


def test_slice_and_slice_update_match_keras():
    _compare(ops.slice(A, (1, 1), (2, 2)), keras.ops.slice(A, (1, 1), (2, 2)))
    upd = np.ones((1, 2), np.float32)
    _compare(ops.slice_update(A, (2, 1), upd), keras.ops.slice_update(A, (2, 1), upd))


def test_stop_gradient_blocks_gradient():
    g = jax.grad(lambda x: jnp.sum(ops.stop_gradient(x) * x))(jnp.asarray(A))
    np.testing.assert_allclose(g, A)


def test_ops_are_jittable():
    f = jax.jit(lambda x, k: ops.max_pool(ops.relu(ops.conv(x, k, padding="same")), 2))
    k = jnp.ones((3, 3, 3, 2))
    expected = keras.ops.max_pool(keras.ops.relu(keras.ops.conv(IMG, k, padding="same")), 2, 2)
    _compare(f(IMG, k), expected)


def test_errors():
    with pytest.raises(ValueError, match="must have the same shape"):
        ops.binary_crossentropy(np.ones((2, 3)), np.ones((2, 2)))
    with pytest.raises(ValueError, match="same shape up until the last dimension"):
        ops.sparse_categorical_crossentropy(np.ones((3,)), np.ones((2, 4)))
    with pytest.raises(ValueError, match="Invalid padding 'full'"):
        ops.conv(IMG, np.ones((3, 3, 3, 1)), padding="full")
    with pytest.raises(ValueError, match="evenly divisible by kernel's in_channels"):
        ops.conv(IMG, np.ones((3, 3, 2, 1)))
    with pytest.raises(ValueError, match="Argument `order` must be an int >= 1"):
        ops.normalize(A, order=0)
    with pytest.raises(ValueError, match="both should be `None`"):
        ops.where(A > 0, A)


# --- symbolic dispatch hook -------------------------------------------------------------


class _FakeKerasTensor:
    _is_keras_tensor = True


@pytest.fixture
def dispatch_log():
    calls = []

    def dispatch(fn, args, kwargs):
        calls.append((fn, args, kwargs))
        return "symbolic"

    previous = ops._SYMBOLIC_DISPATCH
    ops.set_symbolic_dispatch(dispatch)
    yield calls
    ops.set_symbolic_dispatch(previous)


def test_symbolic_dispatch_routes_keras_tensors(dispatch_log):
    kt = _FakeKerasTensor()
    assert ops.add(kt, 1.0) == "symbolic"
    assert ops.concatenate([A, kt], axis=1) == "symbolic"
    assert ops.sum(x=kt) == "symbolic"
    assert ops.nn.relu(kt) == "symbolic"
    assert ops.binary_crossentropy(A, {"y": kt}) == "symbolic"
    fn, args, kwargs = dispatch_log[1]
    assert fn.__name__ == "concatenate" and kwargs == {"axis": 1}
    # the undecorated op is passed, so the dispatcher can trace it with jax.eval_shape
    out = jax.eval_shape(lambda: fn([A, A], axis=1))
    assert out.shape == (3, 8)
    # plain arrays still run eagerly while a dispatcher is installed
    np.testing.assert_allclose(ops.add(A, B), A + B)
    assert len(dispatch_log) == 5


def test_symbolic_dispatch_settable_as_module_attribute():
    installed = ops._SYMBOLIC_DISPATCH  # restored at the end: later tests build models
    ops._SYMBOLIC_DISPATCH = lambda fn, args, kwargs: fn.__name__
    try:
        assert ops.matmul(_FakeKerasTensor(), M) == "matmul"
        ops._SYMBOLIC_DISPATCH = None
        with pytest.raises(TypeError):
            ops.matmul(_FakeKerasTensor(), M)  # no dispatcher: runs eagerly and fails
    finally:
        ops._SYMBOLIC_DISPATCH = installed


def test_every_public_op_is_wrapped():
    skip = {"shape", "ndim", "dtype", "is_tensor", "convert_to_numpy", "size", "symbolic_op", "set_symbolic_dispatch",
            "custom_gradient", "jvp"}  # function transforms, not tensor ops
    names = [n for n in dir(ops) if not n.startswith("_") and callable(getattr(ops, n)) and n not in skip]
    names = [n for n in names if not isinstance(getattr(ops, n), type(ops))]
    missing = [n for n in names if not getattr(getattr(ops, n), "_nbkeras_op", False)]
    assert not missing and len(names) > 150


# --- random ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, args, kwargs",
    [
        ("normal", ((3, 4),), {"mean": 1.0, "stddev": 2.0}),
        ("uniform", ((3, 4),), {"minval": -1.0, "maxval": 3.0}),
        ("truncated_normal", ((50,),), {"stddev": 0.5}),
        ("randint", ((3, 4), 0, 10), {}),
        ("dropout", (np.ones((4, 5), np.float32), 0.4), {}),
        ("dropout", (np.ones((4, 5), np.float32), 0.5), {"noise_shape": (1, 5)}),
        ("shuffle", (np.arange(10),), {}),
        ("categorical", (PROB, 3), {}),
    ],
)
def test_random_with_int_seed_equals_keras(name, args, kwargs):
    ours = getattr(nbrandom, name)(*args, seed=11, **kwargs)
    theirs = getattr(keras.random, name)(*args, seed=11, **kwargs)
    _compare(ours, theirs)


def test_random_unseeded_draws_differ_and_follow_global_seed():
    from nbkeras.utils import set_random_seed

    set_random_seed(5)
    a, b = nbrandom.normal((4,)), nbrandom.normal((4,))
    assert not np.array_equal(a, b)
    set_random_seed(5)
    np.testing.assert_array_equal(nbrandom.normal((4,)), a)


def test_seed_generator_splits_and_is_a_pytree():
    gen = nbrandom.SeedGenerator(3)
    k1 = gen.next()
    k2 = gen.next()
    assert not np.array_equal(jax.random.key_data(k1), jax.random.key_data(k2))
    again = nbrandom.SeedGenerator(3)
    np.testing.assert_array_equal(jax.random.key_data(again.next()), jax.random.key_data(k1))
    assert gen.get_config() == {"seed": 3}

    @jax.jit
    def sample(g):
        x = nbrandom.normal((2,), seed=g)
        return x, g

    x1, gen = sample(gen)
    x2, gen = sample(gen)
    assert isinstance(gen, nbrandom.SeedGenerator)
    assert not np.array_equal(x1, x2)
    assert not np.array_equal(nbrandom.uniform((3,), seed=gen), nbrandom.uniform((3,), seed=gen))


def test_seed_generator_draws_equal_keras_and_live_in_layers():
    ours, theirs = nbrandom.SeedGenerator(7), keras.random.SeedGenerator(7)
    for _ in range(2):  # [seed, counter] state: the same keys as Keras, draw after draw
        np.testing.assert_allclose(nbrandom.normal((3,), seed=ours),
                                   keras.random.normal((3,), seed=theirs), rtol=1e-6)
    from nbkeras import layers

    class Noise(layers.Layer):  # the keras.io subclassing guide's pattern
        def __init__(self):
            super().__init__()
            self.seed_generator = nbrandom.SeedGenerator(1337)

        def call(self, x):
            return x + nbrandom.normal(ops.shape(x), seed=self.seed_generator)

    layer = Noise()
    assert len(layer.non_trainable_variables) == 1  # the generator's state, as in Keras
    first, second = layer(jnp.zeros(2)), layer(jnp.zeros(2))
    assert not np.array_equal(first, second)


def test_random_errors():
    with pytest.raises(TypeError, match="Argument `seed` must be None, an integer"):
        nbrandom.normal((2,), seed="abc")
    with pytest.raises(TypeError, match="SeedGenerator expected an integer seed"):
        nbrandom.SeedGenerator("abc")
    with pytest.raises(ValueError, match="seed=None inside a traced"):
        jax.jit(lambda x: nbrandom.dropout(x, 0.5))(jnp.ones(3))
