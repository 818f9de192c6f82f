# cython: language_level=3
"""`HashMap`: Prism's map type, a `dict` subclass with the method names Prism code uses.

`HashMap.new()` / `HashMap()` / `HashMap({"a": 1})`; `get(k, default=None)`
(inherited from dict), `set(k, v)`, `has(k)`, `delete(k)`, `len()`,
`keys()`, `values()` (dict views), `entries()` (list of (key, value)).
Being a real dict, it is accepted anywhere Python expects a mapping.

Talks to: nothing (no other runtime module).
"""

cdef object _MISSING = object()


cdef class HashMap(dict):
    """A dict with `set`, `has`, `delete`, `len` and `entries` methods."""

    @classmethod
    def new(cls, *args, **kwargs):
        return cls(*args, **kwargs)

    def set(self, key, value):
        self[key] = value

    def has(self, key):
        return key in self

    def delete(self, key):
        """Remove `key`; returns whether it was present."""
        return self.pop(key, _MISSING) is not _MISSING

    def len(self):
        return len(self)

    def entries(self):
        return list(self.items())

    def __repr__(self):
        return f"HashMap({dict.__repr__(self)})"
