# cython: language_level=3
"""C-level interface of `prism_runtime.confidence` (see confidence.pyx)."""

cdef class Conf:
    cdef readonly object value
    cdef readonly double confidence
    cdef readonly object tag        # the context name of a tagged value `in "ctx" v`, else None
    cdef public object trail        # debug builds: the steps that made its confidence (trace.Trail)

cdef object make(object value, double c)
cpdef object tag(object v, object context)
cpdef object context_tag(object v)
cpdef bint in_range(object v, object lo, object hi) except -1
cpdef object with_conf(object v, object c)
cpdef object scale(object v, object c)
cpdef double conf_of(object v) noexcept
cpdef object value_of(object v)
cpdef object more_confident(object a, object b)
cpdef object at_least(object v, object threshold)
cpdef bint conf_between(object v, object lo, object hi) except -1

# ---------------------------------------------------------------- unboxed confident scalars
# Typed Prism code keeps a confident float/int/bool in a local as a C struct of
# value and confidence (no allocation per operation); `transpiler/back/lower_expr.py`
# emits calls to these inline helpers and boxes to `Conf` only where a value
# leaves typed code. Results multiply confidences, as the language says.
from prism_runtime.context cimport note_confidence
cimport prism_runtime.core as _core

ctypedef struct cfloat:
    double v
    double c

ctypedef struct cint:
    long long v
    double c

ctypedef struct cbool:
    bint v
    double c

cdef double checked_factor(double factor) except? -1

cdef inline cfloat cf_make(double v, double c) noexcept:
    cdef cfloat r
    r.v = v
    r.c = c
    return r

cdef inline cint ci_make(long long v, double c) noexcept:
    cdef cint r
    r.v = v
    r.c = c
    return r

cdef inline cbool cb_make(bint v, double c) noexcept:
    cdef cbool r
    r.v = v
    r.c = c
    return r

cdef inline cfloat cf_from_ci(cint x) noexcept:
    return cf_make(<double>x.v, x.c)

# `x ~> factor` with a factor known to be in [0, 1]; reports to the current context
# when one listens (one inline branch otherwise).
cdef inline cfloat cf_with(cfloat x, double factor, int* hooks) noexcept:
    x.c = x.c * factor
    if hooks[0]:
        note_confidence(x.c)
    return x

cdef inline cint ci_with(cint x, double factor, int* hooks) noexcept:
    x.c = x.c * factor
    if hooks[0]:
        note_confidence(x.c)
    return x

cdef inline cbool cb_with(cbool x, double factor, int* hooks) noexcept:
    x.c = x.c * factor
    if hooks[0]:
        note_confidence(x.c)
    return x

cdef inline cfloat cf_add(cfloat a, cfloat b) noexcept:
    return cf_make(a.v + b.v, a.c * b.c)

cdef inline cfloat cf_sub(cfloat a, cfloat b) noexcept:
    return cf_make(a.v - b.v, a.c * b.c)

cdef inline cfloat cf_mul(cfloat a, cfloat b) noexcept:
    return cf_make(a.v * b.v, a.c * b.c)

cdef inline cfloat cf_div(cfloat a, cfloat b) except *:
    return cf_make(_core.f_div(a.v, b.v), a.c * b.c)

cdef inline cfloat cf_mod(cfloat a, cfloat b) except *:
    return cf_make(_core.f_mod(a.v, b.v), a.c * b.c)

cdef inline cfloat cf_neg(cfloat a) noexcept:
    return cf_make(-a.v, a.c)

cdef inline cint ci_add(cint a, cint b) except *:
    return ci_make(_core.i_add(a.v, b.v), a.c * b.c)

cdef inline cint ci_sub(cint a, cint b) except *:
    return ci_make(_core.i_sub(a.v, b.v), a.c * b.c)

cdef inline cint ci_mul(cint a, cint b) except *:
    return ci_make(_core.i_mul(a.v, b.v), a.c * b.c)

cdef inline cint ci_mod(cint a, cint b) except *:
    return ci_make(_core.i_mod(a.v, b.v), a.c * b.c)

cdef inline cint ci_neg(cint a) except *:
    return ci_make(_core.i_neg(a.v), a.c)

cdef inline cbool cf_lt(cfloat a, cfloat b) noexcept:
    return cb_make(a.v < b.v, a.c * b.c)

cdef inline cbool cf_le(cfloat a, cfloat b) noexcept:
    return cb_make(a.v <= b.v, a.c * b.c)

cdef inline cbool cf_gt(cfloat a, cfloat b) noexcept:
    return cb_make(a.v > b.v, a.c * b.c)

cdef inline cbool cf_ge(cfloat a, cfloat b) noexcept:
    return cb_make(a.v >= b.v, a.c * b.c)

cdef inline cbool cf_eq(cfloat a, cfloat b) noexcept:
    return cb_make(a.v == b.v, a.c * b.c)

cdef inline cbool cf_ne(cfloat a, cfloat b) noexcept:
    return cb_make(a.v != b.v, a.c * b.c)

cdef inline cbool ci_lt(cint a, cint b) noexcept:
    return cb_make(a.v < b.v, a.c * b.c)

cdef inline cbool ci_le(cint a, cint b) noexcept:
    return cb_make(a.v <= b.v, a.c * b.c)

cdef inline cbool ci_gt(cint a, cint b) noexcept:
    return cb_make(a.v > b.v, a.c * b.c)

cdef inline cbool ci_ge(cint a, cint b) noexcept:
    return cb_make(a.v >= b.v, a.c * b.c)

cdef inline cbool ci_eq(cint a, cint b) noexcept:
    return cb_make(a.v == b.v, a.c * b.c)

cdef inline cbool ci_ne(cint a, cint b) noexcept:
    return cb_make(a.v != b.v, a.c * b.c)

cdef inline cbool cb_not(cbool a) noexcept:
    return cb_make(not a.v, a.c)

cdef inline cbool cb_and(cbool a, cbool b) noexcept:
    return cb_make(a.v and b.v, a.c * b.c)

cdef inline object box_cfloat(cfloat x):
    return make(x.v, x.c)

cdef inline object box_cint(cint x):
    return make(x.v, x.c)

cdef inline object box_cbool(cbool x):
    return make(x.v, x.c)

cdef cfloat unbox_cfloat(object o) except *
cdef cint unbox_cint(object o) except *
cdef cbool unbox_cbool(object o) except *
