/* Hand-written C versions of bench/kernels/core_kernels.prism, built at -O3
 * by bench/run_core.py and called through ctypes. */
#include <stddef.h>

double accumulate(long long n) {
    double s = 0.0;
    for (long long i = 0; i < n; i++) s += i * 0.5;
    return s;
}

long long fib(long long n) {
    if (n < 2) return n;
    return fib(n - 1) + fib(n - 2);
}

long long mandelbrot(long long w, long long h, long long max_iter) {
    long long count = 0;
    for (long long py = 0; py < h; py++) {
        for (long long px = 0; px < w; px++) {
            double x0 = px * 3.5 / w - 2.5, y0 = py * 2.0 / h - 1.0;
            double x = 0.0, y = 0.0;
            long long i = 0;
            while (x * x + y * y <= 4.0 && i < max_iter) {
                double xt = x * x - y * y + x0;
                y = 2.0 * x * y + y0;
                x = xt;
                i++;
            }
            if (i == max_iter) count++;
        }
    }
    return count;
}

double weighted_average(const double *values, const double *weights, size_t n) {
    double total = 0.0, wsum = 0.0;
    for (size_t i = 0; i < n; i++) {
        total += values[i] * weights[i];
        wsum += weights[i];
    }
    return total / wsum;
}
