"""The hand-written baselines: plain Flax NNX layers, optax Adam, one ``jax.jit`` step.

``hand`` dispatches one jitted step per batch (the Flax performance guide's
split-once/merge-inside pattern, data on the device, donated state); ``scan`` runs the
same step body under one ``lax.scan`` over the whole epoch.  Both keep running loss and
accuracy sums on the device, the work Keras's ``metrics=["accuracy"]`` does.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx


class Tiny(nnx.Module):
    def __init__(self, rngs):
        self.out = nnx.Linear(784, 10, rngs=rngs)

    def __call__(self, x):
        return self.out(x)


class MLP(nnx.Module):
    def __init__(self, rngs):
        self.l1 = nnx.Linear(784, 512, rngs=rngs)
        self.l2 = nnx.Linear(512, 512, rngs=rngs)
        self.out = nnx.Linear(512, 10, rngs=rngs)

    def __call__(self, x):
        return self.out(jax.nn.relu(self.l2(jax.nn.relu(self.l1(x)))))


class ConvNet(nnx.Module):
    def __init__(self, rngs):
        self.c1 = nnx.Conv(1, 32, (3, 3), padding="VALID", rngs=rngs)
        self.c2 = nnx.Conv(32, 64, (3, 3), padding="VALID", rngs=rngs)
        self.drop = nnx.Dropout(0.5, rngs=rngs)
        self.out = nnx.Linear(5 * 5 * 64, 10, rngs=rngs)

    def __call__(self, x):
        x = nnx.max_pool(jax.nn.relu(self.c1(x)), (2, 2), (2, 2))
        x = nnx.max_pool(jax.nn.relu(self.c2(x)), (2, 2), (2, 2))
        return self.out(self.drop(x.reshape(x.shape[0], -1)))


class LSTMNet(nnx.Module):
    """LSTM(64) over (32, 16) sequences: the input projection for all steps at once, the
    recurrence in one ``lax.scan`` (gates i, f, c, o), then a linear head."""

    def __init__(self, rngs, features=16, units=64):
        self.wx = nnx.Linear(features, 4 * units, rngs=rngs)
        self.wh = nnx.Linear(units, 4 * units, use_bias=False, rngs=rngs)
        self.out = nnx.Linear(units, 10, rngs=rngs)
        self.units = units

    def __call__(self, x):
        zs = jnp.swapaxes(self.wx(x), 0, 1)
        wh = self.wh.kernel[...]

        def step(carry, z):
            h, c = carry
            i, f, g, o = jnp.split(z + h @ wh, 4, axis=-1)
            c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
            h = jax.nn.sigmoid(o) * jnp.tanh(c)
            return (h, c), None

        zeros = jnp.zeros((x.shape[0], self.units), x.dtype)
        (h, _), _ = jax.lax.scan(step, (zeros, zeros), zs)
        return self.out(h)


class TransformerNet(nnx.Module):
    """The transformer-block workload in Flax NNX (``nnx.MultiHeadAttention``)."""

    def __init__(self, rngs):
        self.proj = nnx.Linear(32, 64, rngs=rngs)
        self.attn = nnx.MultiHeadAttention(num_heads=4, in_features=64, qkv_features=64,
                                           decode=False, rngs=rngs)
        self.ln1 = nnx.LayerNorm(64, epsilon=1e-6, rngs=rngs)
        self.ff1 = nnx.Linear(64, 128, rngs=rngs)
        self.ff2 = nnx.Linear(128, 64, rngs=rngs)
        self.ln2 = nnx.LayerNorm(64, epsilon=1e-6, rngs=rngs)
        self.out = nnx.Linear(64, 10, rngs=rngs)

    def __call__(self, x):
        x = self.proj(x)
        x = self.ln1(x + self.attn(x))
        x = self.ln2(x + self.ff2(jax.nn.relu(self.ff1(x))))
        return self.out(jnp.mean(x, axis=1))


MODELS = {"tiny": Tiny, "mlp": MLP, "convnet": ConvNet, "lstm": LSTMNet,
          "transformer": TransformerNet}


class HandLoop:
    """Train/predict functions of one workload; ``fused`` picks the scan variant."""

    def __init__(self, workload: str, fused: bool):
        model = MODELS[workload](nnx.Rngs(0, dropout=1))
        self.tx = optax.adam(1e-3)
        self.graphdef, params, rest = nnx.split(model, nnx.Param, ...)
        sums = (jnp.zeros(()), jnp.zeros(()), jnp.zeros(()))
        self.carry = (params, rest, self.tx.init(params), sums)
        self.fused = fused
        self.train = jax.jit(self._epoch if fused else self._step, donate_argnums=0)
        self.apply = jax.jit(self._apply)

    def _step(self, carry, x_all, y_all, idx):
        params, rest, opt, (loss_sum, correct, count) = carry
        x, y = jnp.take(x_all, idx, axis=0), jnp.take(y_all, idx, axis=0)

        def loss_fn(p, rest):
            rest = jax.tree.map(lambda a: a, rest)  # fresh variables at this trace level
            model = nnx.merge(self.graphdef, p, rest)
            logits = model(x)
            loss = optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()
            return loss, (logits, nnx.state(model, nnx.Not(nnx.Param)))

        (loss, (logits, rest)), grads = jax.value_and_grad(loss_fn, has_aux=True)(params, rest)
        updates, opt = self.tx.update(grads, opt, params)
        params = optax.apply_updates(params, updates)
        hits = jnp.sum(jnp.argmax(logits, -1) == y)
        sums = (loss_sum + loss, correct + hits, count + y.shape[0])
        return params, rest, opt, sums

    def _epoch(self, carry, x_all, y_all, idx_rows):
        def body(c, idx):
            return self._step(c, x_all, y_all, idx), None

        return jax.lax.scan(body, carry, idx_rows)[0]

    def _apply(self, params, rest, x):
        model = nnx.merge(self.graphdef, params, rest)
        model.eval()
        return jax.nn.softmax(model(x))

    def fit_epoch(self, x_dev, y_dev, batch: int, rng: np.random.Generator) -> float:
        """One shuffled epoch; returns the mean loss (one host sync)."""
        n = x_dev.shape[0]
        idx = rng.permutation(n).astype(np.int32).reshape(n // batch, batch)
        params, rest, opt, _ = self.carry
        zero = (jnp.zeros(()), jnp.zeros(()), jnp.zeros(()))
        carry = (params, rest, opt, zero)
        if self.fused:
            carry = self.train(carry, x_dev, y_dev, jnp.asarray(idx))
        else:
            for row in idx:
                carry = self.train(carry, x_dev, y_dev, row)
        self.carry = carry
        loss_sum, _, _ = carry[3]
        return float(loss_sum) / len(idx)

    def predict(self, x: np.ndarray, batch: int) -> np.ndarray:
        params, rest = self.carry[0], self.carry[1]
        outs = [self.apply(params, rest, x[i : i + batch]) for i in range(0, len(x), batch)]
        return np.concatenate(jax.device_get(outs))
