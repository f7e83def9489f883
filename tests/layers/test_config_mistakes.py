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


@pytest.mark.parametrize("make, error, match", [
    (lambda: layers.BatchNormalization(momentum="x"), TypeError,
     r"BatchNormalization expected momentum to be a number, received 'x' of type str"),
    (lambda: layers.BatchNormalization(momentum=1.5), ValueError,
     r"BatchNormalization expected momentum in \[0.0, 1.0\], received 1.5"),
    (lambda: layers.BatchNormalization(epsilon=-1e-3), ValueError,
     r"BatchNormalization expected epsilon >= 0.0, received -0.001"),
    (lambda: layers.ELU(alpha="x"), TypeError,
     r"ELU expected alpha to be a number, received 'x' of type str\. Pass a float"),
    (lambda: layers.Masking(mask_value=(2, 2)), TypeError,
     r"Masking expected mask_value to be a number, received \(2, 2\) of type tuple"),
])
def test_numeric_arguments_are_checked_at_construction(make, error, match):
    # These failed later, inside call, with NumPy/JAX messages that named no layer.
    with pytest.raises(error, match=match):
        make()
