"""Several processes: ``initialize`` over ``jax.distributed`` and small collectives.

Everything here uses public JAX APIs only (``jax.distributed``,
``jax.make_array_from_process_local_data``, ``jax.jit`` with shardings).
"""

from __future__ import annotations

import os

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec


def initialize(job_addresses=None, num_processes=None, process_id=None, **jax_kwargs) -> None:
    """Join a multi-process (multi-host) run: ``jax.distributed.initialize``.

    Call it first, before anything touches a device.  Arguments default to the
    environment variables ``KERAS_DISTRIBUTION_JOB_ADDRESSES`` (comma-separated;
    the first is the coordinator), ``KERAS_DISTRIBUTION_NUM_PROCESSES`` and
    ``KERAS_DISTRIBUTION_PROCESS_ID``, as in Keras.  On Cloud TPU or Slurm all may be
    None (JAX detects the cluster).  All processes then agree on one random seed, so
    they build identical initial weights and draw the same shuffles.

    Args:
        job_addresses: ``"host:port"`` of process 0 (or all addresses, comma-separated).
        num_processes: Number of processes.
        process_id: This process's index, ``0 .. num_processes - 1``.
        **jax_kwargs: Passed on to ``jax.distributed.initialize`` (e.g.
            ``coordinator_bind_address``, ``initialization_timeout``,
            ``cluster_detection_method``).

    Raises:
        ValueError: ``job_addresses`` lists a different number of jobs than
            ``num_processes``.

    Example:
        >>> initialize("10.0.0.1:1234", num_processes=2, process_id=0)  # doctest: +SKIP
    """
    env = os.environ
    if job_addresses is None and "KERAS_DISTRIBUTION_JOB_ADDRESSES" in env:
        job_addresses = env["KERAS_DISTRIBUTION_JOB_ADDRESSES"]
    if num_processes is None and "KERAS_DISTRIBUTION_NUM_PROCESSES" in env:
        num_processes = int(env["KERAS_DISTRIBUTION_NUM_PROCESSES"])
    if process_id is None and "KERAS_DISTRIBUTION_PROCESS_ID" in env:
        process_id = int(env["KERAS_DISTRIBUTION_PROCESS_ID"])
    coordinator = job_addresses
    if job_addresses and "," in job_addresses:
        addresses = job_addresses.split(",")
        if num_processes is not None and num_processes != len(addresses):
            raise ValueError(
                f"The provided job_addresses {addresses} has {len(addresses)} jobs, but "
                f"num_processes is {num_processes}. Pass one address per process."
            )
        coordinator = addresses[0]
    jax.distributed.initialize(
        coordinator_address=coordinator,
        num_processes=num_processes,
        process_id=process_id,
        **jax_kwargs,
    )
    _agree_on_seed()


def _agree_on_seed() -> None:
    from nbkeras import _rng

    seed = _rng._state["seed"]
    if seed is None:
        seed = int(np.random.SeedSequence().entropy % (2**31))
    _rng.set_seed(broadcast_int(seed))


def is_main_process() -> bool:
    """True on process 0: the one that writes files and notebook output."""
    return jax.process_index() == 0


def broadcast_int(value: int) -> int:
    """Process 0's ``value``, on every process (a collective: all must call it)."""
    if jax.process_count() == 1:
        return int(value)
    devices = np.array(jax.devices())
    mesh = Mesh(devices, ("p",))
    sharding = NamedSharding(mesh, PartitionSpec("p"))
    local = np.full((jax.local_device_count(),), int(value), np.int32)
    global_arr = jax.make_array_from_process_local_data(sharding, local, (devices.size,))
    first = next(i for i, d in enumerate(devices) if d.process_index == 0)
    picked = jax.jit(lambda a: a[first], out_shardings=NamedSharding(mesh, PartitionSpec()))(
        global_arr
    )
    return int(np.asarray(picked))


def gather_to_host(x):
    """A host NumPy copy of a (possibly multi-process, sharded) array.

    Replicates first when some shards live on another process (an all-gather that
    every process must run), then reads the local replica.
    """
    if not isinstance(x, jax.Array) or x.is_fully_addressable:
        return np.asarray(x)
    if not x.is_fully_replicated:
        mesh = getattr(x.sharding, "mesh", None)
        if mesh is None:
            raise TypeError(
                f"Cannot gather an array with sharding {x.sharding}: expected a NamedSharding."
            )
        x = jax.jit(lambda a: a, out_shardings=NamedSharding(mesh, PartitionSpec()))(x)
    return np.asarray(x.addressable_data(0))
