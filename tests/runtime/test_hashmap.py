"""HashMap: a dict subclass with Prism's method names."""
from prism_runtime import HashMap


def test_hashmap_methods():
    m = HashMap.new()
    assert isinstance(m, dict) and isinstance(HashMap(), HashMap)
    m.set("a", 1)
    m.set("b", 2)
    assert m.get("a") == 1 and m.get("z") is None and m.get("z", 0) == 0
    assert m.has("a") and not m.has("z")
    assert m.len() == 2 == len(m)
    assert list(m.keys()) == ["a", "b"] and list(m.values()) == [1, 2]
    assert m.entries() == [("a", 1), ("b", 2)]
    assert m.delete("a") is True and m.delete("a") is False
    assert m == {"b": 2}
    assert HashMap({"x": 1}) == {"x": 1} and dict(HashMap(x=1)) == {"x": 1}
