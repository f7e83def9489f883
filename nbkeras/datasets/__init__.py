"""Datasets with Keras's ``load_data`` signatures.

``digits`` and ``reviews`` are bundled (no download); the others download once from
Keras's origins into ``~/.nbkeras/datasets``, reuse a copy already in Keras's cache
(``~/.keras/datasets``) and check every file's hash.
"""

from nbkeras.datasets import (
    boston_housing,
    cifar10,
    cifar100,
    digits,
    fashion_mnist,
    imdb,
    mnist,
    reuters,
    reviews,
)
