# cython: language_level=3
"""C-level interface of `prism_runtime.trace` (see trace.pyx): what debug builds, and
functions carrying a tracing attribute, call instead of the plain runtime operations.

Generated code holds one `ModuleTrace` per module (`_ptrace`) and passes the index of
a *site* (a `~>`, a function's `~c`, an operation, a context block, ...) that the
module registered when it was imported; the site says which line and which
function, so a call carries one small integer instead of its location."""

cdef class ModuleTrace:
    cdef readonly str file             # the .prism file
    cdef readonly tuple sites          # (kind, line, function, label, flags, names) per site
    cdef readonly bint debug           # a debug build (`--debug`): `pause` may open the REPL
    cdef list single_steps             # per site: the one-step Trail of a certain value made there
    cdef object with_conf(self, object v, object c, int site)
    cdef object scale(self, object v, object c, int site)
    cdef object binary(self, int op, object a, object b, int site)
    cdef object enter(self, object ctx, int site)
    cdef int exit(self, object token, int site) except -1
    cdef int caught(self, object exc, int site) except -1
    cdef int unwinding(self, object exc, int site, dict frame_locals) except -1
    cdef int check_break(self, object value, int site, object threshold, object message, object action,
                         object frame_locals) except -1
    cdef int block_variables(self, object token, int site, dict variables) except -1
