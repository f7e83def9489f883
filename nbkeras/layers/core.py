"""Core layers: Dense, Embedding, Activation, Dropout, Lambda, Identity."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from nbkeras import _serialization, activations, constraints, initializers, regularizers
from nbkeras import variables as _vars
from nbkeras.layers.base import Layer
from nbkeras.layers.lora import LoRAMixin
from nbkeras.layers.matmul_lowering import dense_matmul


def _ser(module, obj):
    return None if obj is None else module.serialize(obj)


class Dense(LoRAMixin, Layer):
    """A densely connected layer: ``activation(inputs @ kernel + bias)``.

    Applies to the last axis of inputs of any rank, as in Keras.

    Args:
        units: Output size.
        activation: Activation name or function (linear if None).
        use_bias: Whether to add a bias.
        kernel_initializer: Initializer of the ``(input_dim, units)`` kernel.
        bias_initializer: Initializer of the ``(units,)`` bias.
        kernel_regularizer, bias_regularizer: Optional penalties.
        kernel_constraint, bias_constraint: Optional projections.
        lora_rank: If set, LoRA is enabled at build time (see ``enable_lora``).
        lora_alpha: LoRA scale numerator (``lora_rank`` by default).

    Example:
        >>> Dense(3, activation="relu")(jnp.ones((2, 5))).shape
        (2, 3)
    """

    _supports_masking = True

    def __init__(
        self,
        units: int,
        activation=None,
        use_bias: bool = True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        lora_rank=None,
        lora_alpha=None,
        **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self._init_lora(lora_rank, lora_alpha)
        if not isinstance(units, int) or isinstance(units, bool) or units <= 0:
            raise ValueError(f"Dense 'units' must be a positive integer, received units={units!r}.")
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(
                f"Dense '{self.name}' needs a known last input dimension, received input "
                f"shape {tuple(input_shape)}."
            )
        self.kernel = self.add_weight(
            shape=(input_dim, self.units),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
            name="kernel",
        )
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(self.units,),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
                name="bias",
            )
        else:
            self.bias = None
        self.built = True
        self._build_lora()

    def call(self, inputs):
        kernel = self.merged_weight()
        if inputs.shape[-1] != kernel.shape[0]:
            raise ValueError(
                f"Dense '{self.name}' expected an input with last dimension "
                f"{kernel.shape[0]}, received shape {tuple(inputs.shape)}. Check the "
                "previous layer's output size or the data's feature count."
            )
        x = dense_matmul(inputs, kernel)
        if self.bias is not None:
            x = x + self.bias[...]
        return self.activation(x)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": _ser(initializers, self.kernel_initializer),
            "bias_initializer": _ser(initializers, self.bias_initializer),
            "kernel_regularizer": _ser(regularizers, self.kernel_regularizer),
            "bias_regularizer": _ser(regularizers, self.bias_regularizer),
            "kernel_constraint": _ser(constraints, self.kernel_constraint),
            "bias_constraint": _ser(constraints, self.bias_constraint),
            **self._lora_config(),
        }


class Embedding(LoRAMixin, Layer):
    """Turns integer indices into dense vectors of size ``output_dim``.

    Example:
        >>> Embedding(10, 4)(jnp.array([[1, 2, 3]])).shape
        (1, 3, 4)
    """

    _lora_target = "embeddings"

    def __init__(
        self,
        input_dim: int,
        output_dim: int,
        embeddings_initializer="uniform",
        embeddings_regularizer=None,
        embeddings_constraint=None,
        mask_zero=False,
        weights=None,
        lora_rank=None,
        lora_alpha=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self._init_lora(lora_rank, lora_alpha)
        for arg, val in (("input_dim", input_dim), ("output_dim", output_dim)):
            if not isinstance(val, int) or val <= 0:
                raise ValueError(f"Embedding '{arg}' must be a positive int, received {val!r}.")
        self.input_dim = input_dim
        self.output_dim = output_dim
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = mask_zero
        self.autocast = False
        self._initial_weights = weights

    def build(self, input_shape=None):
        self.embeddings = self.add_weight(
            shape=(self.input_dim, self.output_dim),
            initializer=self.embeddings_initializer,
            regularizer=self.embeddings_regularizer,
            constraint=self.embeddings_constraint,
            name="embeddings",
        )
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None
        self.built = True
        self._build_lora()

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero:
            return None
        return jnp.not_equal(inputs, 0)

    def call(self, inputs):
        if not jnp.issubdtype(inputs.dtype, jnp.integer):
            inputs = inputs.astype("int32")
        return jnp.take(self.merged_weight(), inputs, axis=0)

    def get_config(self):
        return {
            **super().get_config(),
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": _ser(initializers, self.embeddings_initializer),
            "embeddings_regularizer": _ser(regularizers, self.embeddings_regularizer),
            "embeddings_constraint": _ser(constraints, self.embeddings_constraint),
            "mask_zero": self.mask_zero,
            **self._lora_config(),
        }


class Activation(Layer):
    """Applies an activation function.

    Example:
        >>> Activation("relu")(jnp.array([-1.0, 2.0]))
        Array([0., 2.], dtype=float32)
    """

    _supports_masking = True

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)
        self.built = True

    def call(self, inputs):
        return self.activation(inputs)

    def get_config(self):
        return {**super().get_config(), "activation": activations.serialize(self.activation)}


class Identity(Layer):
    """Returns its input unchanged."""

    _supports_masking = True

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.built = True

    def call(self, inputs):
        return inputs


class Dropout(Layer):
    """Randomly zeroes a fraction ``rate`` of inputs during training, scaling the rest.

    The PRNG state is an ``nnx`` variable of the layer, so a model stays a pure
    function of its state under ``nnx.split``/``jax.jit``.

    Example:
        >>> Dropout(0.5)(jnp.ones((2, 2)), training=False)
        Array([[1., 1.],
               [1., 1.]], dtype=float32)
    """

    _supports_masking = True

    def __init__(self, rate: float, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
            raise ValueError(f"Dropout 'rate' must be a float in [0, 1], received rate={rate!r}.")
        self.rate = float(rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed
        from nbkeras import _rng

        key = jax.random.key(seed) if seed is not None else _rng.next_key()
        with jax.ensure_compile_time_eval():
            self.seed_state = _vars.SeedState(jax.random.key_data(key))
        self.built = True

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        if self.rate == 1:
            return jnp.zeros_like(inputs)
        key = jax.random.wrap_key_data(self.seed_state[...])
        key, sub = jax.random.split(key)
        self.seed_state[...] = jax.random.key_data(key)
        shape = inputs.shape
        if self.noise_shape is not None:
            shape = tuple(s if n is None else n for s, n in zip(inputs.shape, self.noise_shape))
        keep = jax.random.bernoulli(sub, 1.0 - self.rate, shape)
        return jnp.where(keep, inputs / (1.0 - self.rate), 0.0).astype(inputs.dtype)

    def get_config(self):
        return {
            **super().get_config(),
            "rate": self.rate,
            "noise_shape": None if self.noise_shape is None else list(self.noise_shape),
            "seed": self.seed,
        }


class Lambda(Layer):
    """Wraps a function of tensors as a layer.

    Args:
        function: ``f(inputs, **arguments)`` using ``nbkeras.ops`` or ``jax.numpy``.
        output_shape: Ignored (shapes are traced); accepted for Keras compatibility.
        arguments: Extra keyword arguments for ``function``.

    Example:
        >>> Lambda(lambda x: x * 2)(jnp.ones((1, 2)))
        Array([[2., 2.]], dtype=float32)
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(
                f"Lambda expects a callable, received {function!r} of type "
                f"{type(function).__name__}."
            )
        self.function = function
        self.mask = mask
        self._supports_masking = mask is not None
        self.arguments = dict(arguments or {})
        self._output_shape_arg = output_shape
        self.built = True

    def call(self, inputs, mask=None, training=None):
        kwargs = dict(self.arguments)
        params = _fn_params(self.function)
        if training is not None and "training" in params:
            kwargs["training"] = training
        if "mask" in params:
            kwargs["mask"] = mask
        return self.function(inputs, **kwargs)

    def compute_mask(self, inputs, mask=None):
        if callable(self.mask):
            return self.mask(inputs, mask)
        return self.mask

    def get_config(self):
        return {
            **super().get_config(),
            "function": _serialization.serialize_function(self.function),
            "arguments": self.arguments,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Rebuild the layer; a stored Python lambda needs ``safe_mode=False``."""
        config = dict(config)
        where = f" of the Lambda layer '{config.get('name', 'lambda')}'"
        for key in ("function", "output_shape", "mask"):
            if isinstance(config.get(key), dict):
                config[key] = _serialization.deserialize_function(
                    config[key], custom_objects, where=where
                )
        if config.get("arguments"):
            config["arguments"] = _serialization.deserialize_keras_object(
                config["arguments"], custom_objects
            )
        return cls(**config)


def _fn_params(fn):
    import inspect

    try:
        return inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return {}
