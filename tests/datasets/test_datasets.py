"""The bundled datasets: digits and reviews."""

import numpy as np
import pytest

from nbkeras.datasets import digits, reviews


def test_digits_shapes_dtypes_and_split():
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    assert x_train.shape == (1438, 8, 8) and x_test.shape == (359, 8, 8)
    assert y_train.shape == (1438,) and y_test.shape == (359,)
    for a in (x_train, y_train, x_test, y_test):
        assert a.dtype == np.uint8
    assert x_train.max() == 16 and x_train.min() == 0
    assert set(np.unique(y_train)) == set(range(10))
    full = np.concatenate([x_train, x_test]).reshape(len(x_train) + len(x_test), -1)
    assert len(np.unique(full, axis=0)) > 1700  # a split, not duplicated samples


def test_digits_is_deterministic_and_seed_dependent():
    (a, ya), _ = digits.load_data()
    (b, yb), _ = digits.load_data()
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(ya, yb)
    (c, _), _ = digits.load_data(seed=1)
    assert not np.array_equal(a, c)
    (d, _), (e, _) = digits.load_data(test_split=0.5)
    assert len(d) + len(e) == 1797 and abs(len(d) - len(e)) == 1


def test_digits_matches_sklearn():
    sklearn_datasets = pytest.importorskip("sklearn.datasets")
    ref = sklearn_datasets.load_digits()
    (x_train, y_train), (x_test, y_test) = digits.load_data(test_split=0.0)
    assert len(x_test) == 0
    order = np.random.RandomState(113).permutation(1797)
    np.testing.assert_array_equal(x_train, ref.images[order].astype(np.uint8))
    np.testing.assert_array_equal(y_train, ref.target[order])


def test_digits_bad_split():
    with pytest.raises(ValueError, match=r"expected test_split in \[0, 1\), received 1.5"):
        digits.load_data(test_split=1.5)


def test_reviews_text_and_sequences_agree():
    (t_train, y_train), (t_test, y_test) = reviews.load_text()
    assert len(t_train) == 3000 and len(t_test) == 1000
    assert set(np.unique(y_train)) == {0, 1} and 0.4 < y_train.mean() < 0.6
    index = reviews.get_word_index()
    assert sorted(index.values()) == list(range(1, len(index) + 1))
    (x_train, y2), _ = reviews.load_data()
    np.testing.assert_array_equal(y_train, y2)
    inverse = {i + 3: w for w, i in index.items()}
    assert x_train[0][0] == 1
    assert " ".join(inverse[i] for i in x_train[0][1:]) == t_train[0]
    assert x_train.dtype == object and len(x_train) == 3000


def test_reviews_keras_arguments():
    (x, _), (xt, _) = reviews.load_data(num_words=20, skip_top=5, oov_char=2)
    words = {w for s in list(x) + list(xt) for w in s[1:]}
    assert max(words) < 20 and 2 in words and not words & {0, 1, 3, 4}
    (x, _), _ = reviews.load_data(maxlen=12, start_char=None, index_from=0, oov_char=None)
    assert all(len(s) < 12 for s in x) and min(min(s) for s in x) >= 1
    with pytest.raises(ValueError, match="no sequence was left. Increase maxlen"):
        reviews.load_data(maxlen=2)
    with pytest.raises(ValueError, match=r"test_split in \[0, 1\), received 1"):
        reviews.load_data(test_split=1)


def test_reviews_regenerates_identically(tmp_path):
    from nbkeras.datasets import _make_reviews

    path = _make_reviews.main(str(tmp_path / "reviews.npz"))
    with np.load(path) as new, np.load(reviews._PATH) as shipped:
        np.testing.assert_array_equal(new["text"], shipped["text"])
        np.testing.assert_array_equal(new["y"], shipped["y"])
