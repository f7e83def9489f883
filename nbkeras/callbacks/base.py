"""``Callback``, ``CallbackList`` and ``History`` with Keras's hook names.

Logs passed to batch hooks are only materialised (a host sync) when some callback
actually overrides a batch hook; epoch logs are Python floats.
"""

from __future__ import annotations

from collections.abc import Iterable

_BATCH_HOOKS = (
    "on_train_batch_begin",
    "on_train_batch_end",
    "on_test_batch_begin",
    "on_test_batch_end",
    "on_predict_batch_begin",
    "on_predict_batch_end",
    "on_batch_begin",
    "on_batch_end",
)


class Callback:
    """Base class of callbacks: override the ``on_*`` hooks you need.

    ``self.model`` is the model being trained; ``self.params`` holds ``epochs``,
    ``steps`` and ``verbose``.  Setting ``self.model.stop_training = True`` ends ``fit``
    after the current epoch.

    Example:
        >>> class Stop(Callback):
        ...     def on_epoch_end(self, epoch, logs=None):
        ...         if logs["loss"] < 0.1:
        ...             self.model.stop_training = True
    """

    # Set to True in subclasses that read weights or logs every batch but do not
    # override a batch hook by name (rare).
    needs_batch_logs = False

    def __init__(self):
        self.params = {}
        self._model = None

    def set_params(self, params: dict) -> None:
        self.params = params

    def set_model(self, model) -> None:
        self._model = model

    @property
    def model(self):
        return self._model

    def _overrides(self, hook: str) -> bool:
        return getattr(type(self), hook) is not getattr(Callback, hook)

    @property
    def uses_batch_hooks(self) -> bool:
        return self.needs_batch_logs or any(self._overrides(h) for h in _BATCH_HOOKS)

    def on_batch_begin(self, batch, logs=None): ...
    def on_batch_end(self, batch, logs=None): ...
    def on_epoch_begin(self, epoch, logs=None): ...
    def on_epoch_end(self, epoch, logs=None): ...
    def on_train_batch_begin(self, batch, logs=None):
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        self.on_batch_end(batch, logs=logs)

    def on_test_batch_begin(self, batch, logs=None): ...
    def on_test_batch_end(self, batch, logs=None): ...
    def on_predict_batch_begin(self, batch, logs=None): ...
    def on_predict_batch_end(self, batch, logs=None): ...
    def on_train_begin(self, logs=None): ...
    def on_train_end(self, logs=None): ...
    def on_test_begin(self, logs=None): ...
    def on_test_end(self, logs=None): ...
    def on_predict_begin(self, logs=None): ...
    def on_predict_end(self, logs=None): ...

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"


class History(Callback):
    """Records epoch logs into ``history`` (``{"loss": [...], "val_loss": [...]}``)."""

    def __init__(self):
        super().__init__()
        self.history: dict[str, list] = {}
        self.epoch: list[int] = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(v)
        if self.model is not None:
            self.model.history = self

    def __repr__(self) -> str:
        try:
            return f"<History epochs={len(self.epoch)} keys={list(self.history)}>"
        except Exception:
            return object.__repr__(self)

    def _repr_html_(self):
        from nbkeras.notebook import reprs

        return reprs.history_html(self)

    def _repr_mimebundle_(self, include=None, exclude=None):
        # HTML for notebooks, plus a PNG of the curves that stays in the saved file.
        from nbkeras.notebook import reprs

        return reprs.history_bundle(self)


class CallbackList:
    """Dispatches hooks to callbacks; tells the engine whether batch logs are needed.

    Args:
        callbacks: The user's callbacks.
        model: The model (set on each callback).
        add_history: Append a :class:`History` (``fit`` does).
        add_progbar: Append the progress display for ``verbose``.
        **params: ``epochs``, ``steps``, ``verbose``.
    """

    def __init__(
        self,
        callbacks: Iterable[Callback] | None = None,
        model=None,
        add_history: bool = False,
        add_progbar: bool = False,
        **params,
    ):
        callbacks = list(callbacks or [])
        for cb in callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(
                    f"callbacks must be nbkeras.callbacks.Callback instances, received "
                    f"{cb!r} of type {type(cb).__name__}."
                )
        self.history = None
        if add_history:
            self.history = next((c for c in callbacks if isinstance(c, History)), None)
            if self.history is None:
                self.history = History()
                callbacks.append(self.history)
        if add_progbar and params.get("verbose"):
            from nbkeras.callbacks.progbar import make_progress_callback

            callbacks.insert(0, make_progress_callback(params.get("verbose")))
        self.callbacks = callbacks
        self.model = model
        for cb in callbacks:
            cb.set_model(model)
            cb.set_params(dict(params))
        self.needs_batch_logs = any(cb.uses_batch_hooks for cb in callbacks)

    def append(self, cb: Callback) -> None:
        cb.set_model(self.model)
        self.callbacks.append(cb)
        self.needs_batch_logs = self.needs_batch_logs or cb.uses_batch_hooks

    def set_params(self, params: dict) -> None:
        for cb in self.callbacks:
            cb.set_params(dict(params))

    def _call(self, hook: str, *args, batch_only: bool = False) -> None:
        for cb in self.callbacks:
            if batch_only and getattr(cb, "lazy_batch_logs", False):
                getattr(cb, hook)(*args)
                continue
            if (
                batch_only
                and not cb._overrides(hook)
                and not (
                    hook.startswith("on_train_batch")
                    and (cb._overrides("on_batch_begin") or cb._overrides("on_batch_end"))
                )
                and not cb.needs_batch_logs
            ):
                continue
            getattr(cb, hook)(*args)

    def __getattr__(self, hook: str):
        if not hook.startswith("on_"):
            raise AttributeError(hook)
        batch_only = "batch" in hook
        return lambda *args, **kwargs: self._call(
            hook, *args, *kwargs.values(), batch_only=batch_only
        )
