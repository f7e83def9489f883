"""One of 2 processes x 4 CPU devices, started by ``test_multi_device.py``.

Usage: ``python _process_worker.py PROCESS_ID PORT OUT_DIR`` with
``JAX_NUM_CPU_DEVICES=4``.  Trains the reference data-parallel program on the global
8-device mesh; process 0 writes the weights; both try to save weights files.
"""

import json
import os
import sys

import _programs
import numpy as np

import nbkeras as keras
from nbkeras import distribution as D

pid, port, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
D.initialize(f"127.0.0.1:{port}", num_processes=2, process_id=pid,
             coordinator_bind_address=f"127.0.0.1:{port}", cluster_detection_method="deactivate",
             initialization_timeout=60, heartbeat_timeout_seconds=10, shutdown_timeout_seconds=10)

import jax  # noqa: E402

info = {"process_count": jax.process_count(), "device_count": jax.device_count(),
        "local_device_count": jax.local_device_count(), "devices": D.list_devices()}
logs = [keras.callbacks.CSVLogger(os.path.join(out, f"log_{pid}.csv")),
        keras.callbacks.TensorBoard(os.path.join(out, f"tb_{pid}"))]
model, history, evaluation, pred = _programs.dp_fit(keras, D.DataParallel(), callbacks=logs)
weights = [np.asarray(v.value) for v in model.variables]
# Every process calls save_weights (the gather is collective); only process 0 writes.
model.save_weights(os.path.join(out, f"saved_by_{pid}.weights.h5"))
np.savez(os.path.join(out, f"process_{pid}.npz"), *weights, pred=pred)
with open(os.path.join(out, f"process_{pid}.json"), "w") as f:
    json.dump({"info": info, "history": history, "evaluate": evaluation}, f)
jax.distributed.shutdown()
