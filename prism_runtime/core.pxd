# cython: language_level=3
"""C-level interface of `prism_runtime.core` (see core.pyx): checked C
arithmetic inlined into generated modules, and the generic operations."""
cimport cython

cdef extern from *:
    bint __builtin_saddll_overflow(long long a, long long b, long long *res) nogil
    bint __builtin_ssubll_overflow(long long a, long long b, long long *res) nogil
    bint __builtin_smulll_overflow(long long a, long long b, long long *res) nogil
    const long long LLONG_MIN

cdef extern from "<math.h>" nogil:
    double fmod(double, double)
    double pow(double, double)
    double fabs(double)
    double floor(double)
    double copysign(double, double)

cdef int raise_overflow() except -1
cdef int raise_zero_division() except -1
cdef int raise_index() except -1
cdef int raise_pow() except -1

# Checked C arithmetic, written in C so that gcc can inline it freely (even into
# recursive functions): the raise path is a cold, out-of-line function that looks
# PrismError up on first use. Two forms of each operation:
#   value form  `i_add(a, b)`            except? -1 (Cython tests PyErr_Occurred() on -1)
#   status form `i_add_into(&out, a, b)` except -1  (no PyErr_Occurred(): used by
#               transpiler/back/hoist.py so hot loops have no Python interaction)
cdef extern from *:
    """
    #include <math.h>
    static PyObject *prism_error_class = NULL;
    static __attribute__((cold, noinline)) int prism_raise(const char *message) {
        if (prism_error_class == NULL) {
            PyObject *mod = PyImport_ImportModule("prism_runtime.errors");
            if (mod != NULL) {
                prism_error_class = PyObject_GetAttrString(mod, "PrismError");
                Py_DECREF(mod);
            }
            if (prism_error_class == NULL) return -1;
        }
        PyErr_SetString(prism_error_class, message);
        return -1;
    }
    #define PRISM_OVERFLOW() prism_raise("integer overflow")
    #define PRISM_ZERO_DIV() prism_raise("division by zero")
    #define PRISM_BAD_POW() prism_raise("invalid power: negative exponent or fractional power of a negative number")
    #define PRISM_UNLIKELY(x) __builtin_expect(!!(x), 0)

    static inline int prism_i_add_into(long long *out, long long a, long long b) {
        return PRISM_UNLIKELY(__builtin_saddll_overflow(a, b, out)) ? PRISM_OVERFLOW() : 0;
    }
    static inline int prism_i_sub_into(long long *out, long long a, long long b) {
        return PRISM_UNLIKELY(__builtin_ssubll_overflow(a, b, out)) ? PRISM_OVERFLOW() : 0;
    }
    static inline int prism_i_mul_into(long long *out, long long a, long long b) {
        return PRISM_UNLIKELY(__builtin_smulll_overflow(a, b, out)) ? PRISM_OVERFLOW() : 0;
    }
    static inline int prism_i_neg_into(long long *out, long long a) {
        if (PRISM_UNLIKELY(a == LLONG_MIN)) return PRISM_OVERFLOW();
        *out = -a; return 0;
    }
    static inline int prism_i_abs_into(long long *out, long long a) {
        if (PRISM_UNLIKELY(a == LLONG_MIN)) return PRISM_OVERFLOW();
        *out = a < 0 ? -a : a; return 0;
    }
    static inline int prism_i_div_into(double *out, long long a, long long b) {
        if (PRISM_UNLIKELY(b == 0)) return PRISM_ZERO_DIV();
        *out = (double)a / (double)b; return 0;
    }
    /* Python's rule: the remainder has the sign of the divisor. */
    static inline int prism_i_mod_into(long long *out, long long a, long long b) {
        long long r;
        if (PRISM_UNLIKELY(b == 0)) return PRISM_ZERO_DIV();
        if (b == -1) { *out = 0; return 0; }
        r = a % b;
        if (r != 0 && ((r < 0) != (b < 0))) r += b;
        *out = r; return 0;
    }
    static inline int prism_i_pow_into(long long *out, long long a, long long b) {
        long long result = 1;
        if (PRISM_UNLIKELY(b < 0)) return PRISM_BAD_POW();
        while (b > 0) {
            if ((b & 1) && __builtin_smulll_overflow(result, a, &result)) return PRISM_OVERFLOW();
            b >>= 1;
            if (b && __builtin_smulll_overflow(a, a, &a)) return PRISM_OVERFLOW();
        }
        *out = result; return 0;
    }
    static inline int prism_f_div_into(double *out, double a, double b) {
        if (PRISM_UNLIKELY(b == 0.0)) return PRISM_ZERO_DIV();
        *out = a / b; return 0;
    }
    static inline int prism_f_mod_into(double *out, double a, double b) {
        double r;
        if (PRISM_UNLIKELY(b == 0.0)) return PRISM_ZERO_DIV();
        r = fmod(a, b);
        if (r != 0.0) { if ((b < 0.0) != (r < 0.0)) r += b; }
        else r = copysign(0.0, b);
        *out = r; return 0;
    }
    static inline int prism_f_pow_into(double *out, double a, double b) {
        if (PRISM_UNLIKELY(a == 0.0 && b < 0.0)) return PRISM_ZERO_DIV();
        if (PRISM_UNLIKELY(a < 0.0 && b != floor(b))) return PRISM_BAD_POW();
        *out = pow(a, b); return 0;
    }
    static inline int prism_check_index_into(Py_ssize_t *out, long long i, Py_ssize_t n) {
        if (PRISM_UNLIKELY(i < 0 || i >= n)) return prism_raise("index out of range");
        *out = (Py_ssize_t)i; return 0;
    }

    /* Value forms, spelled out: gcc inlines this shape (a plain early return on
       the cold path) into recursive callers, which it does not do when the value
       form merely wraps the status form. */
    #define PRISM_OVERFLOW_OP(name, builtin) \
        static inline long long prism_##name(long long a, long long b) { \
            long long r; \
            if (PRISM_UNLIKELY(builtin(a, b, &r))) { PRISM_OVERFLOW(); return -1; } \
            return r; }
    PRISM_OVERFLOW_OP(i_add, __builtin_saddll_overflow)
    PRISM_OVERFLOW_OP(i_sub, __builtin_ssubll_overflow)
    PRISM_OVERFLOW_OP(i_mul, __builtin_smulll_overflow)
    static inline long long prism_i_neg(long long a) {
        if (PRISM_UNLIKELY(a == LLONG_MIN)) { PRISM_OVERFLOW(); return -1; }
        return -a; }
    static inline long long prism_i_abs(long long a) {
        if (PRISM_UNLIKELY(a == LLONG_MIN)) { PRISM_OVERFLOW(); return -1; }
        return a < 0 ? -a : a; }
    static inline double prism_i_div(long long a, long long b) {
        if (PRISM_UNLIKELY(b == 0)) { PRISM_ZERO_DIV(); return -1; }
        return (double)a / (double)b; }
    static inline double prism_f_div(double a, double b) {
        if (PRISM_UNLIKELY(b == 0.0)) { PRISM_ZERO_DIV(); return -1; }
        return a / b; }
    static inline Py_ssize_t prism_check_index(long long i, Py_ssize_t n) {
        if (PRISM_UNLIKELY(i < 0 || i >= n)) { prism_raise("index out of range"); return -1; }
        return (Py_ssize_t)i; }
    /* Reading a typed array element: bounds check, borrowed reference, exact-type
       fast path; anything else numeric (ints, Conf, numpy scalars) goes through
       the number protocol. */
    /* The slow paths live out of line, so a loop over a typed array keeps its
       accumulators in registers and falls through on the exact-type fast path. */
    static __attribute__((cold, noinline)) int prism_item_as_double(double *out, PyObject *item) {
        double d = PyFloat_AsDouble(item);
        if (d == -1.0 && PyErr_Occurred()) return -1;
        *out = d; return 0;
    }
    static __attribute__((cold, noinline)) int prism_item_as_long(long long *out, PyObject *item) {
        long long v;
        if (PyBool_Check(item) || !PyIndex_Check(item)) return prism_raise("array element is not an int");
        v = PyLong_AsLongLong(item);
        if (v == -1 && PyErr_Occurred()) return -1;
        *out = v; return 0;
    }
    static __attribute__((cold, noinline)) int prism_bad_list_index(PyObject *list) {
        return prism_raise(list == Py_None ? "cannot index null" : "index out of range");
    }
    static inline int prism_list_float_at_into(double *out, PyObject *list, long long i) {
        PyObject *item;
        if (PRISM_UNLIKELY(list == Py_None || i < 0 || i >= PyList_GET_SIZE(list)))
            return prism_bad_list_index(list);
        item = PyList_GET_ITEM(list, (Py_ssize_t)i);
        if (__builtin_expect(PyFloat_CheckExact(item), 1)) { *out = PyFloat_AS_DOUBLE(item); return 0; }
        {   /* through a local, so `out` never escapes and the caller's temp stays in a register */
            double slow;
            if (prism_item_as_double(&slow, item) < 0) return -1;
            *out = slow; return 0;
        }
    }
    static inline int prism_list_int_at_into(long long *out, PyObject *list, long long i) {
        PyObject *item;
        if (PRISM_UNLIKELY(list == Py_None || i < 0 || i >= PyList_GET_SIZE(list)))
            return prism_bad_list_index(list);
        item = PyList_GET_ITEM(list, (Py_ssize_t)i);
        if (__builtin_expect(PyLong_CheckExact(item), 1)) {
            long long v = PyLong_AsLongLong(item);
            if (PRISM_UNLIKELY(v == -1 && PyErr_Occurred())) return -1;
            *out = v; return 0;
        }
        {
            long long slow;
            if (prism_item_as_long(&slow, item) < 0) return -1;
            *out = slow; return 0;
        }
    }
    /* The rarer operations share their status form's body. */
    #define PRISM_VALUE_FORM(name, type, params, args) \
        static inline type prism_##name params { type r; if (prism_##name##_into args) return (type)-1; return r; }
    PRISM_VALUE_FORM(i_mod, long long, (long long a, long long b), (&r, a, b))
    PRISM_VALUE_FORM(i_pow, long long, (long long a, long long b), (&r, a, b))
    PRISM_VALUE_FORM(f_mod, double, (double a, double b), (&r, a, b))
    PRISM_VALUE_FORM(f_pow, double, (double a, double b), (&r, a, b))
    PRISM_VALUE_FORM(list_float_at, double, (PyObject *list, long long i), (&r, list, i))
    PRISM_VALUE_FORM(list_int_at, long long, (PyObject *list, long long i), (&r, list, i))
    static inline double prism_f_abs(double a) { return fabs(a); }
    static inline double prism_f_sqrt(double a) { return a >= 0.0 ? sqrt(a) : NAN; }
    static inline double prism_f_floor(double a) { return floor(a); }
    static inline double prism_f_ceil(double a) { return ceil(a); }
    """
    long long i_add "prism_i_add"(long long a, long long b) except? -1
    long long i_sub "prism_i_sub"(long long a, long long b) except? -1
    long long i_mul "prism_i_mul"(long long a, long long b) except? -1
    long long i_neg "prism_i_neg"(long long a) except? -1
    long long i_abs "prism_i_abs"(long long a) except? -1
    double i_div "prism_i_div"(long long a, long long b) except? -1
    long long i_mod "prism_i_mod"(long long a, long long b) except? -1
    long long i_pow "prism_i_pow"(long long a, long long b) except? -1
    double f_div "prism_f_div"(double a, double b) except? -1
    double f_mod "prism_f_mod"(double a, double b) except? -1
    double f_pow "prism_f_pow"(double a, double b) except? -1
    double f_abs "prism_f_abs"(double a) noexcept
    double f_sqrt "prism_f_sqrt"(double a) noexcept
    double f_floor "prism_f_floor"(double a) noexcept
    double f_ceil "prism_f_ceil"(double a) noexcept
    Py_ssize_t check_index "prism_check_index"(long long i, Py_ssize_t n) except? -1
    int i_add_into "prism_i_add_into"(long long *out, long long a, long long b) except -1
    int i_sub_into "prism_i_sub_into"(long long *out, long long a, long long b) except -1
    int i_mul_into "prism_i_mul_into"(long long *out, long long a, long long b) except -1
    int i_neg_into "prism_i_neg_into"(long long *out, long long a) except -1
    int i_abs_into "prism_i_abs_into"(long long *out, long long a) except -1
    int i_div_into "prism_i_div_into"(double *out, long long a, long long b) except -1
    int i_mod_into "prism_i_mod_into"(long long *out, long long a, long long b) except -1
    int i_pow_into "prism_i_pow_into"(long long *out, long long a, long long b) except -1
    int f_div_into "prism_f_div_into"(double *out, double a, double b) except -1
    int f_mod_into "prism_f_mod_into"(double *out, double a, double b) except -1
    int f_pow_into "prism_f_pow_into"(double *out, double a, double b) except -1
    int check_index_into "prism_check_index_into"(Py_ssize_t *out, long long i, Py_ssize_t n) except -1
    double list_float_at "prism_list_float_at"(list xs, long long i) except? -1
    long long list_int_at "prism_list_int_at"(list xs, long long i) except? -1
    int list_float_at_into "prism_list_float_at_into"(double *out, list xs, long long i) except -1
    int list_int_at_into "prism_list_int_at_into"(long long *out, list xs, long long i) except -1

cdef class Obj(dict):
    pass

cpdef long long as_int(object v) except? -1
cpdef double as_float(object v) except? -1
cpdef bint truthy(object v) except -1
cpdef object as_bool(object v)
cpdef object and_tail(object a, object b)
cpdef bint or_needs_right(object a) except -1
cpdef object or_tail(object a, object b)
cpdef object not_(object a)

cdef object _binary(int op, object a, object b)     # op: 0 add .. 11 ge (the generic operations below)
cpdef object add(object a, object b)
cpdef object sub(object a, object b)
cpdef object mul(object a, object b)
cpdef object div(object a, object b)
cpdef object mod(object a, object b)
cpdef object pow_(object a, object b)
cpdef object neg(object a)
cpdef object pos(object a)
cpdef object eq(object a, object b)
cpdef object ne(object a, object b)
cpdef object lt(object a, object b)
cpdef object le(object a, object b)
cpdef object gt(object a, object b)
cpdef object ge(object a, object b)
cpdef bint match_eq(object subject, object literal) except -1

cpdef str to_str(object v)
cpdef str concat(tuple parts)
cpdef object prism_print(tuple values)

cpdef object get_member(object obj, str name)
cpdef object set_member(object obj, str name, object value)
cpdef object get_key(object obj, str name)
cpdef object get_index(object obj, object index)
cpdef object set_index(object obj, object index, object value)
cpdef object slice_(object obj, object lo, object hi)
cpdef object call_method(object obj, str name, tuple args)
cpdef object call_method_kw(object obj, str name, tuple args, dict kwargs)
cpdef object list_push(object xs, object value)
cpdef object pairs(object obj)
cpdef object iterate(object obj)

cpdef object b_len(object v)
cpdef object b_int(object v)
cpdef object b_float(object v)
cpdef object to_float(object v)
cpdef object b_round(tuple args)
cpdef object b_abs(object v)
cpdef object b_min(tuple args)
cpdef object b_max(tuple args)
cpdef object b_sum(object v)
cpdef list b_range(tuple args)
cpdef object undefined_name(str name)
cpdef object b_assert(object cond, object message=*)
cpdef object b_now()
cpdef object b_sleep(object ms)
cpdef object b_timeout(object awaitable, object ms)
cpdef object type_name(object v)
cpdef object field_conf(object cls, str name)
cpdef object magnitude(object v)
cpdef object dot(object a, object b)
cpdef bint array_fits(object v, Py_ssize_t n, bint rest) except -1
cpdef object type_of(object v)

cpdef object to_exception(object v)

# Stack guard: recursive generated functions call `_rt.stack_check()` before their first
# call (see transpiler/passes/callgraph.py). Typed calls are C calls that Python's recursion limit
# never sees, so without this a runaway recursion would overflow the C stack and crash.
#
# The hot path is one subtraction and one unsigned compare: is the stack pointer inside
# the usable window [floor, top] of the thread that last set it up? A different thread's
# stack lies outside that window, so the same compare also notices a thread switch, and
# the cold path sets the window up again for the thread now running. (A thread-local
# costs a __tls_get_addr call per function entry; comparing the thread pointer on every
# call as well made gcc give up inlining recursion into itself.) Generated code holds the
# GIL, so one thread at a time uses the window. 256 KiB below the floor stay free to raise
# and unwind the error.
cdef extern from *:
    """
    #include <pthread.h>
    #include <stdint.h>
    static struct { uintptr_t floor, span, base; void *owner; int known; } __prism_stack_window;
    /* The stack pointer, read without taking a local's address. */
    static inline uintptr_t __prism_stack_pointer(void) {
    #if defined(__x86_64__)
        uintptr_t sp;
        __asm__("movq %%rsp, %0" : "=r"(sp));
        return sp;
    #elif defined(__aarch64__)
        uintptr_t sp;
        __asm__("mov %0, sp" : "=r"(sp));
        return sp;
    #else
        return (uintptr_t)__builtin_frame_address(0);
    #endif
    }
    static __attribute__((noinline)) void __prism_stack_setup(uintptr_t sp) {
        pthread_attr_t attr;
        void *addr = 0;
        size_t size = 0;
        if (pthread_getattr_np(pthread_self(), &attr) == 0) {
            pthread_attr_getstack(&attr, &addr, &size);
            pthread_attr_destroy(&attr);
        }
        uintptr_t base = (uintptr_t)addr, top = base + size;
        __prism_stack_window.owner = __builtin_thread_pointer();
        __prism_stack_window.known = addr != 0 && size > (size_t)(512 * 1024) && base < sp && sp <= top;
        if (__prism_stack_window.known) {
            __prism_stack_window.base = base;
            __prism_stack_window.floor = base + 256 * 1024;
            __prism_stack_window.span = top - __prism_stack_window.floor;
        } else {
            /* Unknown stack: an empty window, so every check takes the cold path, which
               never reports exhaustion here but still notices a switch to another thread. */
            __prism_stack_window.floor = sp;
            __prism_stack_window.span = 0;
        }
    }
    static __attribute__((cold, noinline)) int __prism_recursion_error(void) {
        PyErr_SetString(PyExc_RecursionError, "maximum recursion depth exceeded");
        return -1;
    }
    /* Outside the window: another thread (set the window up for it), this thread's stack
       spent (the reserved zone below the floor), or a stack we cannot judge. */
    static __attribute__((cold, noinline)) int __prism_stack_outside(uintptr_t sp) {
        if (__prism_stack_window.owner != __builtin_thread_pointer()) {
            __prism_stack_setup(sp);
            if (sp - __prism_stack_window.floor <= __prism_stack_window.span) return 0;
        }
        if (__prism_stack_window.known && sp >= __prism_stack_window.base && sp < __prism_stack_window.floor)
            return __prism_recursion_error();
        return 0;
    }
    /* What generated functions call: 0, or -1 with RecursionError set. */
    static inline int __prism_stack_check(void) {
        uintptr_t sp = __prism_stack_pointer();
        if (__builtin_expect(sp - __prism_stack_window.floor <= __prism_stack_window.span, 1)) return 0;
        return __prism_stack_outside(sp);
    }
    /* A function on a call cycle also spends one unit of its depth budget per level. The
       budget falls by exactly one per level, so it passes through every multiple of 8 and
       through 0: testing only there costs the other levels a single bit test, and leaves at
       most 7 frames between two looks at the stack, far inside the 256 KiB reserve. */
    static inline int __prism_depth_check(int depth) {
        if (__builtin_expect((depth & 7) != 0, 1)) return 0;
        if (__builtin_expect(depth <= 0, 0)) return __prism_recursion_error();
        return __prism_stack_check();
    }
    """
    int stack_check "__prism_stack_check"() except -1
    int depth_check "__prism_depth_check"(int depth) except -1
    int recursion_budget "Py_GetRecursionLimit"()
cpdef object as_prism_error(object exc)
cpdef object missing_return(str name)
