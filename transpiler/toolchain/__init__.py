"""From the pipeline's Cython to importable extension modules: the content-hashed build
cache, the C compiler, the development profile's helpers, the compile server."""
