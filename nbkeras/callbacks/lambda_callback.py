"""``LambdaCallback``: a callback made of plain functions."""

from __future__ import annotations

from nbkeras.callbacks.base import Callback

_HOOKS = (
    "on_epoch_begin",
    "on_epoch_end",
    "on_train_begin",
    "on_train_end",
    "on_train_batch_begin",
    "on_train_batch_end",
)


class LambdaCallback(Callback):
    """Build a callback from functions (Keras's ``LambdaCallback``).

    Epoch functions are called as ``f(epoch, logs)``, batch functions as
    ``f(batch, logs)``, train functions as ``f(logs)``. Other ``on_*`` hooks may be
    passed as keyword arguments. Passing a batch function makes ``fit`` read the
    logs every batch (a host sync per step).

    Example:
        >>> cb = LambdaCallback(on_epoch_end=lambda epoch, logs: print(epoch, "loss" in logs))
        >>> cb.on_epoch_end(0, {"loss": 0.5})
        0 True
    """

    def __init__(
        self,
        on_epoch_begin=None,
        on_epoch_end=None,
        on_train_begin=None,
        on_train_end=None,
        on_train_batch_begin=None,
        on_train_batch_end=None,
        **kwargs,
    ):
        super().__init__()
        given = dict(
            on_epoch_begin=on_epoch_begin,
            on_epoch_end=on_epoch_end,
            on_train_begin=on_train_begin,
            on_train_end=on_train_end,
            on_train_batch_begin=on_train_batch_begin,
            on_train_batch_end=on_train_batch_end,
        )
        for name, fn in kwargs.items():
            if not (name.startswith("on_") and callable(getattr(Callback, name, None))):
                raise TypeError(
                    f"LambdaCallback got an unexpected keyword argument {name!r}; expected "
                    f"callback hooks such as {list(_HOOKS)}."
                )
            given[name] = fn
        for name, fn in given.items():
            if fn is None:
                continue
            if not callable(fn):
                raise TypeError(f"LambdaCallback `{name}` must be callable, received {fn!r}.")
            setattr(self, name, _with_logs(fn, 2 if ("epoch" in name or "batch" in name) else 1))


def _with_logs(fn, n_args: int):
    """Call ``fn`` with ``logs`` passed positionally, as Keras does (None when absent)."""

    def hook(*args, logs=None):
        if len(args) < n_args:
            args = args + (logs,) * (n_args - len(args))
        return fn(*args)

    return hook
