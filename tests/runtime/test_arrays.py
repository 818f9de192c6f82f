"""prism_runtime.arrays.NumArray behaves as a Prism array: printing, comparing, methods,
other kinds of values, errors, the buffer protocol and pickling."""
import pickle

import pytest

from prism_runtime import core
from prism_runtime.arrays import NumArray, as_floats, as_ints, floats, ints
from prism_runtime.errors import PrismError


def test_prints_and_compares_like_a_list():
    xs = floats((1.0, 2.5))
    assert core.to_str(xs) == "[1.0, 2.5]"
    assert xs == [1.0, 2.5] and [1.0, 2.5] == xs and xs != [1.0]
    assert core.type_name(xs) == "array" and core.type_of(xs) == "array"
    assert core.get_member(xs, "length") == 2
    assert core.array_fits(xs, 2, False)


def test_array_methods_through_call_method():
    ns = ints((3, 1, 2))
    assert core.call_method(ns, "map", (lambda x: x * 2,)) == [6, 2, 4]
    assert core.call_method(ns, "sort", ()) is ns and ns == [1, 2, 3]
    assert core.call_method(ns, "join", ("-",)) == "1-2-3"
    assert core.call_method(ns, "slice", (0, 2)) == [1, 2]
    assert type(core.call_method(ns, "copy", ())) is list
    core.call_method(ns, "push", (4,))
    assert core.call_method(ns, "pop", ()) == 4 and len(ns) == 3


def test_values_of_another_kind_are_kept_as_they_are():
    xs = floats((1.0,))
    xs.append(2)                    # an int into a float array
    xs.append("three")
    assert core.to_str(xs) == "[1.0, 2, 'three']"
    assert type(xs[1]) is int
    with pytest.raises(BufferError):
        memoryview(xs)


def test_index_errors_are_prism_errors():
    xs = ints((1,))
    with pytest.raises(PrismError, match="index out of range"):
        core.get_index(xs, 5)
    with pytest.raises(PrismError, match="index out of range"):
        core.set_index(xs, -1, 0)
    with pytest.raises(PrismError, match="empty"):
        ints(()).pop()


def test_buffer_protocol_shares_memory_with_numpy():
    np = pytest.importorskip("numpy")
    xs = floats((1.0, 2.0, 3.0))
    view = np.asarray(xs)
    view[0] = 9.0
    assert xs[0] == 9.0 and view.dtype == np.float64


def test_conversions_and_pickling():
    assert as_floats([1.0, 2.0]) == [1.0, 2.0] and type(as_floats([1.0])) is NumArray
    xs = as_ints(range(3))
    assert as_ints(xs) is xs
    copy = pickle.loads(pickle.dumps(xs))
    assert copy == [0, 1, 2] and type(copy) is NumArray
