"""CPython versions of bench/kernels/core_kernels.prism (the baseline a Python user has)."""


def accumulate(n):
    s = 0.0
    for i in range(n):
        s += i * 0.5
    return s


def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


def mandelbrot(w, h, max_iter):
    count = 0
    for py in range(h):
        for px in range(w):
            x0 = px * 3.5 / w - 2.5
            y0 = py * 2.0 / h - 1.0
            x = y = 0.0
            i = 0
            while x * x + y * y <= 4.0 and i < max_iter:
                x, y = x * x - y * y + x0, 2.0 * x * y + y0
                i += 1
            if i == max_iter:
                count += 1
    return count


def weighted_average(values, weights):
    total = wsum = 0.0
    for v, w in zip(values, weights):
        total += v * w
        wsum += w
    return total / wsum


def lcg_arrays(n):
    """The arrays weighted_average_built makes (same generator, same order)."""
    values, weights = [], []
    seed = 12345
    for _ in range(n):
        seed = (seed * 1103515245 + 12345) % 2147483648
        values.append(seed / 2147483648.0)
        seed = (seed * 1103515245 + 12345) % 2147483648
        weights.append(seed / 2147483648.0)
    return values, weights


def weighted_average_built(n, repeats, timed=False):
    values, weights = lcg_arrays(n)
    result = 0.0
    for _ in range(repeats):
        result = weighted_average(values, weights)
    return result
