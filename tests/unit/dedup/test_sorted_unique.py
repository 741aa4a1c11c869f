"""``bigrams.sorted_unique`` is ``np.unique``: the same keys, sorted, of the same type."""

from __future__ import annotations

import numpy as np
import pytest

from watchtower.pipeline.bigrams import sorted_unique


@pytest.mark.parametrize("dtype", [np.uint32, np.uint64])
@pytest.mark.parametrize("size", [0, 1, 2, 7, 1000])
def test_sorted_unique_is_np_unique(dtype: type[np.unsignedinteger], size: int) -> None:
    rng = np.random.default_rng(size)
    values = rng.integers(0, max(size // 3, 1) + 1, size, dtype=np.uint64).astype(dtype)
    values[::5] = np.iinfo(dtype).max  # the largest key, repeated
    expected = np.unique(values)
    found = sorted_unique(values.copy())
    assert found.dtype == expected.dtype
    assert found.tolist() == expected.tolist()
