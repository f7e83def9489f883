"""Reading Keras's pickle-based dataset files without running code from them.

Two Keras datasets are stored with pickle and cannot be read any other way: the CIFAR
batches (Python 2 pickles of ``{b"data": uint8 array, b"labels": [ints], ...}``) and the
``.npz`` files of IMDB and Reuters, whose word-index sequences are object arrays (each
``.npy`` member pickles an array of Python lists).  Pickle can call any importable
function while loading; :class:`SafeUnpickler` refuses every global except the three
NumPy constructors an array needs (``ndarray``, ``dtype``, ``_reconstruct``), so a hostile
file can at most build arrays, lists, dicts, numbers and strings.  Everything else that
could be read without pickle (``allow_pickle=False``) is.
"""

from __future__ import annotations

import io
import pickle
import zipfile

import numpy as np

_RECONSTRUCT = np.ndarray.__reduce__(np.zeros(0))[0]  # numpy's array reconstructor
_ALLOWED = {
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("numpy.core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy._core.multiarray", "_reconstruct"): _RECONSTRUCT,
}


class SafeUnpickler(pickle.Unpickler):
    """An unpickler that builds only NumPy arrays and plain Python containers.

    Example:
        >>> import io, pickle
        >>> SafeUnpickler(io.BytesIO(pickle.dumps([1, 2]))).load()
        [1, 2]
        >>> SafeUnpickler(io.BytesIO(pickle.dumps(print))).load()
        Traceback (most recent call last):
        ...
        _pickle.UnpicklingError: Refusing to load builtins.print from a dataset file: only NumPy arrays and plain Python values are allowed. The file may be corrupted or malicious; delete it and download it again.
    """

    def find_class(self, module: str, name: str):
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(
                f"Refusing to load {module}.{name} from a dataset file: only NumPy arrays "
                "and plain Python values are allowed. The file may be corrupted or "
                "malicious; delete it and download it again."
            ) from None


def load_pickle(path: str, encoding: str = "ASCII"):
    """Unpickle a file with :class:`SafeUnpickler`."""
    with open(path, "rb") as f:
        return SafeUnpickler(f, encoding=encoding).load()


def _read_npy(raw: bytes):
    buffer = io.BytesIO(raw)
    try:
        return np.lib.format.read_array(buffer, allow_pickle=False)
    except ValueError:  # an object array: its payload is a pickle after the header
        buffer.seek(0)
        major, _ = np.lib.format.read_magic(buffer)
        if major == 1:
            np.lib.format.read_array_header_1_0(buffer)
        elif major in (2, 3):
            np.lib.format.read_array_header_2_0(buffer)
        else:
            raise ValueError(f"Unsupported .npy format version {major}.") from None
        return SafeUnpickler(buffer, encoding="latin1").load()


def load_npz(path: str) -> dict[str, np.ndarray]:
    """Every array of an ``.npz`` file; object arrays through :class:`SafeUnpickler`.

    Raises:
        ValueError: If the file is not a zip archive of ``.npy`` members.
    """
    if not zipfile.is_zipfile(path):
        raise ValueError(f"{path!r} is not an .npz file; delete it and download it again.")
    arrays = {}
    with zipfile.ZipFile(path) as archive:
        for member in archive.namelist():
            if member.endswith(".npy"):
                arrays[member[: -len(".npy")]] = _read_npy(archive.read(member))
    return arrays


def load_cifar_batch(path: str, label_key: str = "labels") -> tuple[np.ndarray, np.ndarray]:
    """One CIFAR batch file: images ``(n, 3, 32, 32)`` uint8 and integer labels ``(n,)``.

    Raises:
        ValueError: If the file does not hold a CIFAR batch.
    """
    d = load_pickle(path, encoding="bytes")
    if not isinstance(d, dict):
        raise ValueError(f"{path!r} is not a CIFAR batch (a pickled dict); received "
                         f"{type(d).__name__}. Delete it and download it again.")
    d = {k.decode("utf8") if isinstance(k, bytes) else k: v for k, v in d.items()}
    if "data" not in d or label_key not in d:
        raise ValueError(f"{path!r} is not a CIFAR batch: expected the keys 'data' and "
                         f"{label_key!r}, found {sorted(map(str, d))}.")
    data, labels = np.asarray(d["data"]), np.asarray(d[label_key])
    if (data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3 * 32 * 32
            or labels.ndim != 1 or len(labels) != len(data) or labels.dtype.kind not in "iu"):
        raise ValueError(f"{path!r} is not a CIFAR batch: data is {data.dtype} {data.shape}, "
                         f"labels of shape {labels.shape}; expected uint8 (n, 3072) and n integer labels.")
    return data.reshape(len(data), 3, 32, 32), labels
