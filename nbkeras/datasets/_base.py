"""Shared download location for the Keras-hosted datasets."""

from __future__ import annotations

import os

#: Where Keras hosts its datasets; ``$NBKERAS_DATASETS_BASE_URL`` overrides it (tests, mirrors).
BASE_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


def base_url() -> str:
    """Return the dataset base URL (with a trailing slash), honouring the env override."""
    url = os.environ.get("NBKERAS_DATASETS_BASE_URL") or BASE_URL
    return url if url.endswith("/") else url + "/"
