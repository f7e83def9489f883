"""The Keras ``Layer`` as a Flax NNX module.

A :class:`Layer` is an ``nnx.Module`` with Keras's contract: lazy ``build(input_shape)``
on the first input, ``add_weight``, ``call(inputs, training=None)``, ``get_config``,
``weights`` in Keras's order, and symbolic calls on ``KerasTensor`` for the Functional API.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from nbkeras import variables as _vars
from nbkeras._traceback import filter_traceback
from nbkeras.layers import _boundary, _mask_flow, auto_config, build_config, registry
from nbkeras.layers.context import (  # noqa: F401  (re-exported)
    _NAME_COUNTS,
    _context,
    call_scope,
    clear_losses,
    collect_losses,
    current_sample_mask,
    current_training,
    own_losses,
    record_loss,
    reset_names,
    sample_mask_scope,
    to_snake_case,
    unique_name,
)
from nbkeras.layers.tracking import (  # noqa: F401  (re-exported)
    _ACCEPTS_CACHE,
    _BUILD_DEPTH,
    _PENDING,
    _accepts,
    _describe_shapes,
    _freeze,
    _holds_module,
    _items,
    _modules_in,
    _pending_weights,
    _thaw,
    _variables_in,
    _weights_of,
    _with_batch_none,
    _wrap_build,
    _wrap_containers,
)
from nbkeras.layers.weights import WeightsMixin, _standard_dtype


def _is_array(x) -> bool:
    return isinstance(x, (np.ndarray, jax.Array, np.generic))


def _shape_of(x):
    return tuple(x.shape) if hasattr(x, "shape") else None


_NOTE_PREFIX = "Exception encountered when calling "


def _note_call(e: BaseException, layer, first_input) -> None:
    """Name the innermost layer whose ``call`` raised ``e``, as a note on ``e`` itself."""
    if any(n.startswith(_NOTE_PREFIX) for n in getattr(e, "__notes__", ())):
        return
    if getattr(_context, "symbolic", False):  # shapes hold stand-ins for None: don't show
        where = "while inferring its output shape"
    else:
        where = f"(received input shape {_describe_shapes(first_input)})"
    e.add_note(f"{_NOTE_PREFIX}{type(layer).__name__} '{layer.name}' {where}.")


def _noted(e: BaseException, layer, first_input) -> BaseException | None:
    """Note on ``e`` which layer's build/call raised it; for a built-in layer's
    IndexError/AttributeError/..., the ValueError/TypeError to raise instead (``_boundary``)."""
    fresh = not any(n.startswith(_NOTE_PREFIX) for n in getattr(e, "__notes__", ()))
    _note_call(e, layer, first_input)
    if not fresh:
        return None
    if getattr(_context, "symbolic", False):
        where = "while inferring its output shape"
    else:
        where = f"(received input shape {_describe_shapes(first_input)})"
    new = _boundary.convert_call_error(e, layer, where)
    if new is not None:
        for note in e.__notes__:
            new.add_note(note)
    return new


class Layer(WeightsMixin, nnx.Module):
    """Base class of all nbkeras layers; a Keras ``Layer`` and a Flax ``nnx.Module``.

    Subclass it the Keras way: create weights in ``build(input_shape)`` with
    ``add_weight``, compute in ``call(inputs, training=None)``.

    Args:
        trainable: Whether the layer's weights are updated by training.
        dtype: The dtype of the weights (``"float32"`` by default).
        name: Layer name; unique by default (``dense``, ``dense_1``, ...).

    Example:
        >>> class Scale(Layer):
        ...     def build(self, input_shape):
        ...         self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")
        ...     def call(self, x):
        ...         return x * self.w
        >>> Scale()(jnp.ones((2, 3))).shape
        (2, 3)
    """

    def __init__(
        self,
        *,
        activity_regularizer=None,
        trainable: bool = True,
        dtype=None,
        autocast: bool = True,
        name: str | None = None,
        **kwargs,
    ):
        input_shape = kwargs.pop("input_shape", None)
        input_dim = kwargs.pop("input_dim", None)
        batch_input_shape = kwargs.pop("batch_input_shape", None)
        batch_size = kwargs.pop("batch_size", None)
        kwargs.pop("input_length", None)
        if kwargs:
            raise TypeError(
                f"Unrecognized keyword arguments passed to {type(self).__name__}: {kwargs}. "
                "Check the spelling against the layer's documented arguments."
            )
        if name is not None and not isinstance(name, str):
            raise TypeError(f"Layer name must be a string, received {name!r}.")
        self.name = name or unique_name(to_snake_case(type(self).__name__))
        self._trainable = bool(trainable)
        self.built = False
        self.dtype = _standard_dtype(dtype)
        self.autocast = autocast
        self._sublayer_attrs: tuple[str, ...] = ()
        self._activity_regularizer = activity_regularizer
        if input_dim is not None and input_shape is None:
            input_shape = (input_dim,)
        if batch_input_shape is not None:
            self._batch_input_shape = tuple(batch_input_shape)
        elif input_shape is not None:
            self._batch_input_shape = (batch_size, *tuple(input_shape))
        else:
            self._batch_input_shape = None
        self._build_shapes = None
        self._output_shape = None

    def __new__(cls, *args, **kwargs):
        # Keras's default config: record the constructor's arguments (auto_config.py)
        # for classes whose get_config is the default one.
        instance = super().__new__(cls)
        if getattr(cls.get_config, "_nbk_default", False):
            object.__setattr__(instance, "_auto_config", auto_config.record(cls, args, kwargs))
        return instance

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.__module__.startswith("nbkeras.") and not cls.__name__.startswith("_"):
            registry.register(cls)
        if "build" in cls.__dict__ and not getattr(cls.__dict__["build"], "_nbk_wrapped", False):
            cls.build = _wrap_build(cls.__dict__["build"])
        if "__init__" in cls.__dict__ and not getattr(cls.__init__, "_nbk_wrapped", False):
            cls.__init__ = _boundary.wrap_init(cls.__dict__["__init__"])

    # ------------------------------------------------------------------ attributes
    def __setattr__(self, name: str, value: Any) -> None:
        if not name.startswith("_pytree") and not name.startswith("_object"):
            value = _wrap_containers(value)
            container = isinstance(value, (nnx.List, nnx.Dict))
            if (container or _holds_module(value)) and name not in self._sublayer_attrs_safe():
                super().__setattr__("_sublayer_attrs", (*self._sublayer_attrs_safe(), name))
        super().__setattr__(name, value)

    def _sublayer_attrs_safe(self) -> tuple[str, ...]:
        return self.__dict__.get("_sublayer_attrs", ())

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        value = bool(value)
        self._trainable = value
        for w in self._own_weights():
            if w.get_metadata().get("created_trainable", isinstance(w, nnx.Param)):
                w.set_metadata("trainable", value)
        for layer in self._sublayers():
            if isinstance(layer, Layer):
                layer.trainable = value
            else:
                for _, v in nnx.iter_graph(layer):
                    if isinstance(v, nnx.Param):
                        v.set_metadata("trainable", value)

    @property
    def dtype_policy(self):
        """The layer's :class:`~nbkeras.dtype_policies.DTypePolicy`."""
        from nbkeras.dtype_policies import DTypePolicy

        return DTypePolicy(self.dtype)

    @dtype_policy.setter
    def dtype_policy(self, policy) -> None:
        from nbkeras.dtype_policies import get

        self.dtype = get(policy).name

    @property
    def compute_dtype(self) -> str:
        """The dtype of the layer's computations (bfloat16 for ``"mixed_bfloat16"``)."""
        return self.dtype.split("_", 1)[1] if self.dtype.startswith("mixed") else self.dtype

    @property
    def variable_dtype(self) -> str:
        """The dtype of the layer's weights (float32 for mixed policies)."""
        return "float32" if self.dtype.startswith("mixed") else self.dtype

    # ------------------------------------------------------------------ build and call
    def build(self, input_shape) -> None:
        """Create weights for inputs of ``input_shape``; override in subclasses."""
        self.built = True

    def call(self, *args, **kwargs):
        raise NotImplementedError(
            f"Layer {type(self).__name__} does not implement call(). "
            "Subclasses of Layer must define call(self, inputs)."
        )

    @property
    def supports_masking(self) -> bool:
        """Whether the layer passes on (or computes) a mask; True if it overrides
        ``compute_mask`` unless set explicitly (Keras's rule)."""
        value = getattr(self, "_supports_masking", None)
        if value is None:
            return type(self).compute_mask is not Layer.compute_mask
        return value

    @supports_masking.setter
    def supports_masking(self, value: bool) -> None:
        self._supports_masking = bool(value)

    def compute_mask(self, inputs, previous_mask):
        """The mask of the outputs (used when ``supports_masking``); passes it on by default."""
        return previous_mask

    def compute_output_shape(self, input_shape):
        """Output shape for ``input_shape`` (found by tracing ``call``)."""
        from nbkeras.layers import symbolic

        return symbolic.output_shape_of(self, input_shape)

    def _call_accepts(self, arg: str) -> bool:
        return _accepts(type(self).call, arg)

    @filter_traceback
    def __call__(self, *args, **kwargs):
        from nbkeras.layers import symbolic

        if symbolic.any_symbolic((args, kwargs)):
            return symbolic.symbolic_call(self, args, kwargs)
        if not args:
            raise TypeError(f"Layer '{self.name}' was called without an input.")
        args = tuple(self._convert_input(a) for a in args)
        if not self.built:
            try:
                self._build_on(args[0])
            except Exception as e:
                if (new := _noted(e, self, args[0])) is not None:
                    raise new from e
                raise
        explicit = kwargs.get("training", None)
        training = explicit if explicit is not None else current_training()
        if self._call_accepts("training"):
            if explicit is None and training is not None:
                kwargs["training"] = training
        else:
            kwargs.pop("training", None)
        previous_mask = _mask_flow.fill_mask_args(self, args, kwargs)
        if "mask" in kwargs and not self._call_accepts("mask"):
            kwargs.pop("mask")
        with call_scope(training) as scope:
            if scope.outermost:
                self._clear_losses()
            try:
                autocast = self.compute_dtype if self.compute_dtype != self.variable_dtype else None
                with _vars.autocast_scope(autocast if self.autocast else None):
                    outputs = self.call(*args, **kwargs)
                _mask_flow.set_output_masks(self, args[0], previous_mask, outputs)
                if self._activity_regularizer is not None:
                    self._add_activity_loss(outputs)
            except Exception as e:
                if (new := _noted(e, self, args[0])) is not None:
                    raise new from e
                raise
            return outputs

    def add_loss(self, loss) -> None:
        """Add a scalar to the training loss (Keras's ``Layer.add_loss``), in ``call``.

        Args:
            loss: A scalar (array); it is added to the loss that ``fit`` minimises and
                listed in ``layer.losses`` until the next outermost call.

        Example:
            >>> class Penalty(Layer):
            ...     def call(self, x):
            ...         self.add_loss(0.1 * jnp.sum(x ** 2))
            ...         return x
            >>> layer = Penalty()
            >>> _ = layer(jnp.ones((2, 2)))
            >>> [float(v) for v in layer.losses]
            [0.4000000059604645]
        """
        record_loss(self, jnp.asarray(loss, jnp.float32))

    @property
    def losses(self) -> list:
        """Losses of the last call: ``add_loss`` and activity regularizers of this layer and
        its sublayers, then the weight-regularization penalties (Keras's order)."""
        losses = own_losses(self)
        for layer in self._flatten_sublayers():
            losses.extend(own_losses(layer))
        for w in self.trainable_weights:
            reg = w.get_metadata().get("regularizer")
            if reg is not None:
                losses.append(reg(w.get_value()))
        return losses

    def _clear_losses(self) -> None:
        clear_losses(self)
        for layer in self._flatten_sublayers():
            clear_losses(layer)

    def _flatten_sublayers(self) -> list:
        """Every nested sublayer, depth first, each once (Keras's ``_flatten_layers``)."""
        out: list = []
        seen = {id(self)}

        def visit(module):
            children = (
                module._sublayers()
                if isinstance(module, Layer)
                else [m for _, m in nnx.iter_graph(module) if isinstance(m, nnx.Module)]
            )
            for m in children:
                if id(m) not in seen:
                    seen.add(id(m))
                    out.append(m)
                    visit(m)

        visit(self)
        return out

    def _add_activity_loss(self, outputs) -> None:
        from nbkeras import regularizers

        reg = regularizers.get(self._activity_regularizer)
        for out in jax.tree.leaves(outputs):
            self.add_loss(reg(out) / out.shape[0])

    def _convert_input(self, x):
        def conv(a):
            if isinstance(a, (list, str, bytes)):
                a = _boundary.list_to_array(self, a)
            _boundary.check_numeric(self, a)
            if isinstance(a, (np.ndarray, np.generic)) or (
                isinstance(a, (float, int)) and not isinstance(a, bool)
            ):
                a = jnp.asarray(a)
            if self.autocast and _is_array(a) and jnp.issubdtype(a.dtype, jnp.floating):
                if a.dtype != self.compute_dtype:
                    a = a.astype(self.compute_dtype)
            return a

        if isinstance(x, (dict, tuple)) or (isinstance(x, list) and x and _is_array(x[0])):
            return jax.tree.map(conv, x)
        return conv(x)

    def _build_on(self, first_input) -> None:
        shapes = jax.tree.map(_shape_of, first_input)
        if isinstance(first_input, list):
            shapes = list(shapes)
        self._build_from_shapes(shapes)

    def _build_from_shapes(self, shapes) -> None:
        tracing = any(isinstance(x, jax.core.Tracer) for x in jax.tree.leaves(shapes))
        if tracing:
            raise ValueError(f"Layer '{self.name}' cannot be built inside a JAX trace.")
        _PENDING.pop(id(self), None)
        with jax.ensure_compile_time_eval():
            self.build(shapes)
        self.built = True
        self._build_shapes = _freeze(shapes)
        self._attach_pending()

    def _attach_pending(self) -> None:
        pending = _pending_weights(self, create=False)
        if not pending:
            return
        held = set()
        for value in self.__dict__.values():
            held.update(id(v) for v in _variables_in(value))
        for var in pending:
            if id(var) not in held:
                setattr(self, f"_weight_{var.get_metadata()['name']}", var)
        _PENDING.pop(id(self), None)

    # ------------------------------------------------------------------ config and shapes
    def get_config(self) -> dict:
        """Constructor arguments as a JSON-friendly dict (Keras's ``get_config``).

        A subclass that does not override it gets Keras's default: its name plus the
        arguments its ``__init__`` received, when those are plain values (see
        :mod:`nbkeras.layers.auto_config`); ``from_config`` passes them back.

        Raises:
            AutoConfigError: (a ``TypeError`` and ``NotImplementedError``) if a custom
                layer without ``get_config`` was created with non-plain arguments.

        Example:
            >>> from nbkeras.layers import Layer
            >>> class Scale(Layer):
            ...     def __init__(self, factor=2.0, **kwargs):
            ...         super().__init__(**kwargs)
            ...         self.factor = factor
            ...     def call(self, x):
            ...         return x * self.factor
            >>> config = Scale(0.5, name="half").get_config()
            >>> config["factor"], config["name"]
            (0.5, 'half')
            >>> Scale.from_config(config).factor
            0.5
        """
        config = {"name": self.name}
        if getattr(type(self).get_config, "_nbk_default", False):
            auto = self.__dict__.get("_auto_config")
            # nbkeras's own classes keep the base config when theirs cannot be made.
            if (isinstance(auto, auto_config.AutoConfig)
                    or not type(self).__module__.startswith("nbkeras.")):
                config = auto_config.config_of(self)
        config.update(trainable=self.trainable, dtype=self.dtype)
        if self._activity_regularizer is not None:
            from nbkeras import regularizers

            config["activity_regularizer"] = regularizers.serialize(
                regularizers.get(self._activity_regularizer))
        if self._batch_input_shape is not None:
            config["batch_input_shape"] = list(self._batch_input_shape)
        return config

    get_config._nbk_default = True

    def get_build_config(self) -> dict | None:
        """Keras's ``{"input_shape": ...}`` this built layer was built with, else None.

        Saved next to the config in a ``.keras`` file; :meth:`build_from_config` uses it.
        """
        return build_config.build_config_of(self)

    def build_from_config(self, config: dict | None) -> None:
        """Create the weights from :meth:`get_build_config`'s output (as Keras's).

        Args:
            config: ``{"input_shape": ...}``; None or ``{}`` does nothing.

        Raises:
            ValueError: If the input shape is not a shape.
        """
        build_config.build_from_config(self, config)

    @classmethod
    def from_config(cls, config: dict):
        """Create a layer from :meth:`get_config`'s output (``cls(**config)``).

        Base keys a custom ``__init__`` does not take (``trainable``, ``dtype``, ``name``
        when it has neither these parameters nor ``**kwargs``) are set on the new layer.
        """
        args, later = auto_config.split_base_keys(cls, config)
        layer = cls(**args)
        if "name" in later:
            layer.name = later["name"]
        if "trainable" in later:
            layer.trainable = later["trainable"]
        if "dtype" in later and not layer.built:
            layer.dtype = _standard_dtype(later["dtype"])
        return layer

    @property
    def input_shape(self):
        if self._build_shapes is None:
            raise AttributeError(
                f"Layer '{self.name}' has no defined input shape yet: it is not built. "
                "Call it on data first."
            )
        return _with_batch_none(_thaw(self._build_shapes))

    @property
    def output(self):
        """The symbolic output of this layer's call in a functional graph (Keras's
        ``layer.output``, e.g. ``[layer.output for layer in model.layers]``)."""
        from nbkeras.layers import symbolic

        return symbolic.layer_output(self)

    @property
    def input(self):
        """The symbolic input of this layer's call in a functional graph."""
        from nbkeras.layers import symbolic

        return symbolic.layer_input(self)

    @property
    def output_shape(self):
        if self._output_shape is None:
            raise AttributeError(
                f"Layer '{self.name}' has no defined output shape yet: call it on an Input "
                "or on data first."
            )
        return _thaw(self._output_shape)

    def __repr__(self) -> str:
        try:
            state = "built" if self.built else "unbuilt"
            return f"<{type(self).__name__} name={self.name}, {state}>"
        except Exception:
            return object.__repr__(self)

    def _repr_html_(self) -> str:
        from nbkeras.notebook import reprs

        return reprs.layer_html(self)
