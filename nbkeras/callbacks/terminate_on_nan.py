"""``TerminateOnNaN``: stop training when the loss becomes NaN or infinite."""

from __future__ import annotations

import numpy as np

from nbkeras.callbacks.base import Callback


class TerminateOnNaN(Callback):
    """Stop (or raise) as soon as a batch's loss is NaN or Inf.

    Keras checks every batch; reading the loss each batch costs one host sync per
    step, so this callback slows small models. ``check_freq=n`` checks every n-th
    batch only (the running mean loss stays NaN once a batch was NaN).

    Args:
        raise_error: Raise ``RuntimeError`` instead of setting ``stop_training``.
        check_freq: Check every ``check_freq`` batches (Keras: 1).

    Example:
        >>> import numpy as np
        >>> import nbkeras
        >>> model = nbkeras.Sequential([nbkeras.Input((3,)), nbkeras.layers.Dense(1)])
        >>> model.compile("sgd", "mse")
        >>> x, y = np.random.rand(20, 3), np.random.rand(20, 1)
        >>> history = model.fit(x, y * np.nan, epochs=3, callbacks=[TerminateOnNaN()], verbose=0)
        Batch 0: Invalid loss, terminating training
        >>> len(history.epoch)  # stopped in the first epoch
        1
    """

    def __init__(self, raise_error: bool = False, check_freq: int = 1):
        super().__init__()
        if isinstance(check_freq, bool) or not isinstance(check_freq, int) or check_freq < 1:
            raise ValueError(
                f"TerminateOnNaN expected `check_freq` to be an integer >= 1, received "
                f"{check_freq!r}."
            )
        self.raise_error = bool(raise_error)
        self.check_freq = check_freq
        self._seen = 0
        # The lazy batch logs are fetched from the device only every check_freq batches.
        self.on_train_batch_end = self._check

    def on_epoch_begin(self, epoch, logs=None):
        self._seen = 0

    def _check(self, batch, logs=None):
        self._seen += 1
        if self._seen % self.check_freq:
            return
        loss = (logs or {}).get("loss")
        if loss is not None and (np.isnan(loss) or np.isinf(loss)):
            if self.raise_error:
                raise RuntimeError(
                    f"NaN or Inf loss encountered at batch {batch}. Loss value: {loss}. "
                    "Terminating training immediately."
                )
            print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True
