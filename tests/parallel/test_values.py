"""Every runtime value that `parallel` passes between processes pickles and unpickles intact."""
import pickle

import pytest

from prism_runtime.confidence import Conf
from prism_runtime.context import Context, enter_py, exit_py, report_confidence
from prism_runtime.core import Obj
from prism_runtime.errors import PrismError

STRUCTS = """
struct Point { x: float, y: float, label: string }
struct Shape { corner: Point, tags: [string], extra: any, weight: int }
fn corner(n: float) -> Point { return Point.new(n, n * 2.0, "c") }
"""

pytestmark = pytest.mark.xdist_group("cluster")  # shares the session environment (conftest)


def roundtrip(value):
    return pickle.loads(pickle.dumps(value))


def test_conf_keeps_value_and_confidence():
    back = roundtrip([Conf(3, 0.25), Conf("text", 0.5), {"k": Conf(1.5, 0.75)}])
    assert [(type(v), v.value, v.confidence) for v in back[:2]] == [(Conf, 3, 0.25), (Conf, "text", 0.5)]
    assert back[2]["k"].confidence == 0.75


def test_object_literal_keeps_its_items_and_attribute_access():
    back = roundtrip(Obj({"a": 1, "b": Conf(2, 0.3), "nested": Obj({"c": [1, 2]})}))
    assert type(back) is Obj and type(back.nested) is Obj
    assert back.a == 1 and back.b.confidence == 0.3 and back.nested.c == [1, 2]


def test_structs_keep_typed_and_untyped_fields(prism_module):
    mod = prism_module("values_structs", STRUCTS)
    shape = mod.Shape(mod.corner(1.5), ["a", "b"], Conf("v", 0.5), 7)
    back = roundtrip(shape)
    assert type(back) is mod.Shape and back == shape
    assert (back.corner.x, back.corner.y, back.corner.label) == (1.5, 3.0, "c")
    assert type(back.extra) is Conf and back.extra.confidence == 0.5


def test_context_crosses_as_an_inactive_snapshot():
    ctx = Context("review", "draft 3", store={"system": "terse", "n": 2})
    token = enter_py(ctx)
    report_confidence(0.5)
    report_confidence(0.9)
    back = roundtrip(ctx)
    exit_py(token)
    assert (back.name, back.value, back.store, back.confidence_count) == ("review", "draft 3", {"system": "terse", "n": 2}, 2)
    assert back.confidence == pytest.approx(0.7)
    assert not back.active and back.duration > 0


def test_errors_keep_message_location_and_attributes():
    err = PrismError("boom", prism_file="a.prism", prism_line=3)
    err.status_code = 429
    back = roundtrip(err)
    assert (back.message, back.prism_file, back.prism_line, back.status_code) == ("boom", "a.prism", 3, 429)
