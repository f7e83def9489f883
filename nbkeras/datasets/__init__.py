"""Datasets: ``digits`` is bundled; ``mnist`` and ``fashion_mnist`` download and cache."""

from nbkeras.datasets import digits, fashion_mnist, mnist
