"""`std/core`: the names the original documentation imports from it.

    import { string, int, float, bool } from "std/core"   // the conversions, as the built-ins
    import { List, Map } from "std/core"                  // the array and map types
    import { Result, Error } from "std/core"              // Result values (prism_runtime/result.py)

Everything here is also available without an import (the built-ins `str`,
`int`, `float`, `bool`, `Ok`, `Error`; `List<T>` and `Map` as annotations), so
importing it changes nothing but the spelling. `List.new(..)` and `Map.new()`
make an array and a map.

Talks to `core` (the conversions), `hashmap` (Map) and `result`.
"""
from __future__ import annotations

from prism_runtime.core import b_float, b_int, to_str, truthy
from prism_runtime.hashmap import HashMap
from prism_runtime.result import Error, Ok, Result

string = to_str
int = b_int          # noqa: A001 - the Prism names of the types, shadowing Python's on purpose
float = b_float      # noqa: A001
bool = truthy        # noqa: A001


class List:
    """`List` as a value: `List.new(1, 2)` is the array `[1, 2]` (a type name in annotations)."""

    @staticmethod
    def new(*items) -> list:
        return list(items)


Map = HashMap

__all__ = ["string", "int", "float", "bool", "List", "Map", "Result", "Ok", "Error"]
