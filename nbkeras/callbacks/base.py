"""``Callback``, ``CallbackList`` and ``History`` with Keras's hook names.

One rule decides which hooks run (Keras's): a hook counts when it is overridden, on the
class or assigned on the instance (``cb.on_train_batch_end = f``).  Batch hooks of
callbacks that do not override them are never called, so a fit with only epoch-level
callbacks dispatches its steps without waiting for them.  Batch logs arrive as a lazy
mapping (fetched from the device when first read); ``self.model`` syncs the running
fit's variables into the model before returning it, as Keras does on JAX.
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
)
# on_train_batch_* call on_batch_* by default: overriding either one counts.
_ALIASES = {
    "on_train_batch_begin": "on_batch_begin",
    "on_train_batch_end": "on_batch_end",
}


def _default(fn):
    fn._nbkeras_default = True
    return fn


class Callback:
    """Base class of callbacks: override the ``on_*`` hooks you need.

    ``self.model`` is the model being trained (its variables synced from the running
    fit when read); ``self.params`` holds ``epochs``, ``steps`` and ``verbose``.
    Setting ``self.model.stop_training = True`` ends ``fit`` after the current step.

    Example:
        >>> class Stop(Callback):
        ...     def on_epoch_end(self, epoch, logs=None):
        ...         if logs["loss"] < 0.1:
        ...             self.model.stop_training = True
    """

    #: True for progress displays (text bar, notebook live view): fit's validation does
    #: not send them ``on_test_*`` (Keras's ProgbarLogger ignores them inside fit too).
    progress_view = False

    def __init__(self):
        self.params = {}
        self._model = None

    def set_params(self, params: dict) -> None:
        self.params = params

    def set_model(self, model) -> None:
        self._model = model

    @property
    def model(self):
        """The model, with the running fit's latest variables written into it."""
        model = self._model
        state = getattr(model, "training_state", None)
        if state is not None:
            state.sync_to_model()
        return model

    def implements(self, hook: str) -> bool:
        """True if ``hook`` is overridden (on the class or assigned on the instance)."""
        names = (hook, _ALIASES[hook]) if hook in _ALIASES else (hook,)
        for name in names:
            method = getattr(self, name, None)
            func = getattr(method, "__func__", method)
            if method is not None and not getattr(func, "_nbkeras_default", False):
                return True
        return False

    @_default
    def on_batch_begin(self, batch, logs=None): ...
    @_default
    def on_batch_end(self, batch, logs=None): ...
    @_default
    def on_epoch_begin(self, epoch, logs=None): ...
    @_default
    def on_epoch_end(self, epoch, logs=None): ...
    @_default
    def on_train_batch_begin(self, batch, logs=None):
        self.on_batch_begin(batch, logs=logs)

    @_default
    def on_train_batch_end(self, batch, logs=None):
        self.on_batch_end(batch, logs=logs)

    @_default
    def on_test_batch_begin(self, batch, logs=None): ...
    @_default
    def on_test_batch_end(self, batch, logs=None): ...
    @_default
    def on_predict_batch_begin(self, batch, logs=None): ...
    @_default
    def on_predict_batch_end(self, batch, logs=None): ...
    @_default
    def on_train_begin(self, logs=None): ...
    @_default
    def on_train_end(self, logs=None): ...
    @_default
    def on_test_begin(self, logs=None): ...
    @_default
    def on_test_end(self, logs=None): ...
    @_default
    def on_predict_begin(self, logs=None): ...
    @_default
    def on_predict_end(self, logs=None): ...

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"


class History(Callback):
    """Records epoch logs into ``history`` (``{"loss": [...], "val_loss": [...]}``)."""

    def __init__(self):
        super().__init__()
        self.history: dict[str, list] = {}
        self.epoch: list[int] = []
        # The epoch whose weights the model ended with, when a callback restored them
        # (EarlyStopping(restore_best_weights=True)); the plots mark it.  An nbkeras extra.
        self.restored_epoch: int | None = None

    def on_train_begin(self, logs=None):
        self.epoch = []
        self.restored_epoch = None

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
    """Dispatches hooks to callbacks; nothing else.

    Every hook receives a mapping as ``logs`` (``{}`` where the caller has none), as in
    Keras.  Batch hooks go only to callbacks that implement them
    (:meth:`Callback.implements`).

    Args:
        callbacks: The user's callbacks.
        model: The model (set on each callback).
        add_history: Append a :class:`History` (``fit`` does) unless one is given.
        progress: A progress callback to put first (the loop chooses it), or None.
        **params: ``epochs``, ``steps``, ``verbose``... (``callback.params``).
    """

    def __init__(
        self,
        callbacks: Iterable[Callback] | None = None,
        model=None,
        add_history: bool = False,
        progress: Callback | None = None,
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
        if progress is not None:
            callbacks.insert(0, progress)
        self._progress = progress
        self.callbacks = callbacks
        self.model = model
        for cb in callbacks:
            cb.set_model(model)
            cb.set_params(dict(params))
        self._targets: dict[str, list] = {}

    def append(self, cb: Callback) -> None:
        cb.set_model(self.model)
        self.callbacks.append(cb)
        self._targets.clear()

    def without_progress(self) -> CallbackList:
        """The same callbacks (models and params unchanged) minus the progress view."""
        view = CallbackList.__new__(CallbackList)
        view.history, view._progress, view.model = self.history, None, self.model
        view.callbacks = [
            cb
            for cb in self.callbacks
            if cb is not self._progress and not getattr(cb, "progress_view", False)
        ]
        view._targets = {}
        return view

    def set_params(self, params: dict) -> None:
        for cb in self.callbacks:
            cb.set_params(dict(params))

    def implements(self, hook: str) -> bool:
        """True if some callback implements ``hook``."""
        return bool(self._callbacks_for(hook))

    def _callbacks_for(self, hook: str) -> list:
        targets = self._targets.get(hook)
        if targets is None:
            if hook in _BATCH_HOOKS:
                targets = [cb for cb in self.callbacks if cb.implements(hook)]
            else:
                targets = list(self.callbacks)
            if hook == "on_train_end" and self._progress in targets:
                # The progress view draws the final picture after the others finished
                # (e.g. EarlyStopping restored the best weights it then marks).
                targets.remove(self._progress)
                targets.append(self._progress)
            self._targets[hook] = targets
        return targets

    def _call(self, hook: str, args: tuple, logs) -> None:
        targets = self._callbacks_for(hook)
        if not targets:
            return
        logs = {} if logs is None else logs
        for cb in targets:
            getattr(cb, hook)(*args, logs)

    def __getattr__(self, hook: str):
        if not hook.startswith("on_"):
            raise AttributeError(hook)
        if hook in ("on_train_begin", "on_train_end", "on_test_begin", "on_test_end",
                    "on_predict_begin", "on_predict_end"):
            return lambda logs=None: self._call(hook, (), logs)
        return lambda index, logs=None: self._call(hook, (index,), logs)
