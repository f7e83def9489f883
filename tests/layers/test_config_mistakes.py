"""Config mistakes get a ValueError naming the layer and the argument (issue 9)."""

import pytest

from nbkeras import layers


@pytest.mark.parametrize("make, match", [
    (lambda: layers.Reshape(target_shape=5),
     r"Reshape 'reshape.*': target_shape must be a tuple, received the integer 5\. "
     r"Write target_shape=\(5,\)"),
    (lambda: layers.Reshape(target_shape=None),
     r"Reshape 'reshape.*': target_shape must be a tuple of ints.*received None"),
    (lambda: layers.Reshape(target_shape=(2, -1, -1)),
     r"Reshape 'reshape.*': target_shape must hold positive ints and at most one -1"),
    (lambda: layers.Conv2D(2, kernel_size=None),
     r"Conv2D argument 'kernel_size' must be a positive int or a tuple of 2 positive ints, "
     r"received kernel_size=None"),
    (lambda: layers.MaxPooling2D(pool_size=1.5),
     r"MaxPooling2D argument 'pool_size' .*received pool_size=1\.5"),
])
def test_config_mistakes_name_the_layer(make, match):
    with pytest.raises(ValueError, match=match):
        make()
