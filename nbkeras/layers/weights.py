"""The weight API of :class:`~nbkeras.layers.Layer`: ``add_weight``, Keras-ordered
``weights`` / ``trainable_weights`` / ``non_trainable_weights``, ``get_weights``,
``set_weights`` and ``count_params``."""

from __future__ import annotations

from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from nbkeras import _weight_budget
from nbkeras import variables as _vars
from nbkeras.layers.tracking import _modules_in, _pending_weights, _variables_in, _weights_of


def _standard_dtype(dtype) -> str:
    if dtype is None:
        from nbkeras.mixed_precision import global_policy

        return global_policy().name
    if isinstance(dtype, dict):  # Keras DTypePolicy config
        dtype = dtype.get("config", {}).get("name", "float32")
    name = getattr(dtype, "name", dtype)
    if name is None:  # a DTypePolicy-like object without a name
        name = "float32"
    return str(jnp.dtype(name)) if name not in ("mixed_float16", "mixed_bfloat16") else name


class WeightsMixin:
    """Weight creation and Keras-ordered weight access, mixed into ``Layer``.

    A plain class (no ``nnx.Module`` base, no ``__init__``): it relies on the attributes
    ``Layer.__init__`` sets (``name``, ``built``, ``_trainable``, ``_sublayer_attrs``) and
    on the ``trainable`` and ``variable_dtype`` properties.
    """

    def add_weight(
        self,
        shape: Sequence[int] | None = None,
        initializer=None,
        dtype=None,
        trainable: bool = True,
        autocast: bool = True,
        regularizer=None,
        constraint=None,
        aggregation: str = "none",
        overwrite_with_gradient: bool = False,
        name: str | None = None,
    ) -> nnx.Variable:
        """Create a weight; assign it to an attribute (``self.kernel = self.add_weight(...)``).

        Args:
            shape: Weight shape (``()`` if None).
            initializer: Initializer name, object or callable ``f(shape, dtype)``;
                ``"glorot_uniform"`` for floats by default, ``"zeros"`` otherwise.
            dtype: Weight dtype, the layer's by default.
            trainable: Whether the optimizer updates it.
            regularizer: Optional penalty added to the loss.
            constraint: Optional projection applied after each optimizer update.
            name: Weight name, used in ``path`` (``"dense/kernel"``).

        Returns:
            An ``nnx.Param`` (trainable) or ``nnx.BatchStat`` (non-trainable) with
            Keras's variable API.
        """
        from nbkeras import initializers

        shape = () if shape is None else tuple(int(d) for d in shape)
        dtype = _standard_dtype(dtype or self.variable_dtype)
        if initializer is None:
            initializer = "glorot_uniform" if jnp.issubdtype(dtype, jnp.floating) else "zeros"
        init = initializers.get(initializer)
        _weight_budget.charge(shape, dtype, self.name, f"a weight '{name}'")  # loading a file
        with jax.ensure_compile_time_eval():
            value = jnp.asarray(init(shape, dtype=dtype), dtype=dtype)
        if value.shape != shape:
            raise ValueError(
                f"Initializer for weight '{name}' of layer '{self.name}' returned shape "
                f"{value.shape}, expected {shape}."
            )
        name = name or f"variable_{len(self._own_weights())}"
        var = _vars.make_weight(value, name=name, trainable=trainable, path=f"{self.name}/{name}")
        if regularizer is not None:
            from nbkeras import regularizers

            var.set_metadata("regularizer", regularizers.get(regularizer))
        if constraint is not None:
            from nbkeras import constraints

            var.set_metadata("constraint", constraints.get(constraint))
        if not self._trainable and trainable:
            var.set_metadata("trainable", False)
        if not autocast:
            var.set_metadata("autocast", False)
        _pending_weights(self).append(var)
        return var

    def add_variable(self, shape, initializer, dtype=None, trainable: bool = True,
                     autocast: bool = True, regularizer=None, constraint=None,
                     name: str | None = None) -> nnx.Variable:
        """Keras's alias of :meth:`add_weight` (``shape`` and ``initializer`` first).

        Example:
            >>> from nbkeras.layers import Layer
            >>> class Bias(Layer):
            ...     def build(self, input_shape):
            ...         self.b = self.add_variable((input_shape[-1],), "zeros", name="b")
            ...     def call(self, x):
            ...         return x + self.b
        """
        return self.add_weight(shape=shape, initializer=initializer, dtype=dtype,
                               trainable=trainable, autocast=autocast,
                               regularizer=regularizer, constraint=constraint, name=name)

    def _own_weights(self) -> list[nnx.Variable]:
        """Weights held directly by this layer, in creation order."""
        found: dict[int, nnx.Variable] = {}
        for value in self.__dict__.values():
            for leaf in _variables_in(value):
                found.setdefault(id(leaf), leaf)
        for leaf in _pending_weights(self, create=False):
            found.setdefault(id(leaf), leaf)
        ws = [
            v
            for v in found.values()
            if isinstance(v, (_vars.Weight, _vars.NonTrainableWeight))
            or (isinstance(v, (nnx.Param, nnx.BatchStat)))
        ]
        return sorted(ws, key=lambda v: v.get_metadata().get("order", 0))

    def _sublayers(self) -> list[nnx.Module]:
        """Direct sub-modules in assignment order (Keras's ``_layers``)."""
        out: list[nnx.Module] = []
        seen: set[int] = set()
        for attr in self._sublayer_attrs:
            for m in _modules_in(getattr(self, attr, None)):
                if id(m) not in seen:
                    seen.add(id(m))
                    out.append(m)
        return out

    @property
    def weights(self) -> list[nnx.Variable]:
        """All weights: own trainable, own non-trainable, then sublayers' (Keras's order)."""
        own = self._own_weights()
        ordered = [w for w in own if w.get_metadata().get("created_trainable", True)]
        ordered += [w for w in own if not w.get_metadata().get("created_trainable", True)]
        seen = {id(w) for w in ordered}
        for layer in self._sublayers():
            for w in _weights_of(layer):
                if id(w) not in seen:
                    seen.add(id(w))
                    ordered.append(w)
        return ordered

    @property
    def trainable_weights(self) -> list[nnx.Variable]:
        if not self.trainable:
            return []
        return [w for w in self.weights if _vars.is_trainable(None, w)]

    @property
    def non_trainable_weights(self) -> list[nnx.Variable]:
        if not self.trainable:
            return self.weights
        return [w for w in self.weights if not _vars.is_trainable(None, w)]

    variables = weights
    trainable_variables = trainable_weights

    @property
    def non_trainable_variables(self) -> list[nnx.Variable]:
        """Non-trainable weights, then random-state (dropout seed) variables: everything
        ``stateless_call`` threads through besides the trainable variables."""
        from nbkeras.layers.stateless import non_trainable_variables

        return non_trainable_variables(self)

    def stateless_call(self, trainable_variables, non_trainable_variables, *args,
                       return_losses: bool = False, **kwargs):
        """Call with explicit variable values; returns ``(outputs, non_trainable_values)``.

        The layer itself is not changed, so this works inside ``jax.jit``/``jax.grad``
        (Keras's JAX custom-training-loop API).

        Example:
            >>> y, ntv = model.stateless_call(  # doctest: +SKIP
            ...     model.trainable_variables, model.non_trainable_variables, x)
        """
        from nbkeras.layers.stateless import stateless_call

        return stateless_call(self, trainable_variables, non_trainable_variables, *args,
                              return_losses=return_losses, **kwargs)

    def get_weights(self) -> list[np.ndarray]:
        """Weights as NumPy arrays, in Keras's order."""
        return [np.asarray(w.get_value()) for w in self.weights]

    def set_weights(self, weights: Sequence) -> None:
        """Set weights from a list of arrays in ``get_weights()`` order."""
        params = self.weights
        if len(weights) != len(params):
            raise ValueError(
                f"Layer '{self.name}' expects {len(params)} weights, but the weight list "
                f"received has {len(weights)} elements. Expected shapes: "
                f"{[tuple(p.shape) for p in params]}."
            )
        for p, w in zip(params, weights):
            w = np.asarray(w)
            if tuple(p.shape) != tuple(w.shape):
                raise ValueError(
                    f"Layer '{self.name}' weight '{p.get_metadata().get('path', '?')}' has "
                    f"shape {tuple(p.shape)}; received a value of shape {tuple(w.shape)}."
                )
        for p, w in zip(params, weights):
            p.set_value(jnp.asarray(w, dtype=p.get_value().dtype))

    def count_params(self) -> int:
        """Number of scalars in all weights."""
        if not self.built:
            raise ValueError(
                f"You tried to call count_params on layer '{self.name}', but the layer isn't "
                "built. Build it first by calling it on data or with layer.build(input_shape)."
            )
        return int(sum(np.prod(w.shape) for w in self.weights))
