"""A precompiled `Python.h` for development builds (GCC's `.gch`), kept in the build cache.

At -O0 the C compiler spends most of its time reading: Python's headers and the
Cython preamble. Every generated module starts by including `Python.h` with
`PY_SSIZE_T_CLEAN`, so one header that does just that, precompiled once per
compiler, flag set and Python, is passed as `-include`: GCC then loads the
`.gch` beside it instead of parsing the headers again (about 15% of a
development build's C compile time, bench/bench_latency.py). Release builds do
not use it: their time goes to optimisation, and they stay exactly as before.

If the compiler cannot build or use the precompiled header (another compiler
behind `cc`, different flags), the plain header is included instead, which is
what the module includes anyway; the result is the same module.

Talks to: `build` (asks for the header while composing the C compiler command),
`cache_lookup` (the cache root).
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Optional

from transpiler.toolchain.cache_lookup import cache_root

HEADER = "#define PY_SSIZE_T_CLEAN\n#include \"Python.h\"\n"


def compiler_identity(cc: list) -> str:
    exe = shutil.which(cc[0])
    if exe is None:
        return ""
    st = os.stat(exe)
    return f"{exe}:{st.st_size}:{st.st_mtime_ns}"


def _python_header_identity(includes: list) -> str:
    for directory in includes:
        header = Path(directory) / "Python.h"
        if header.is_file():
            st = header.stat()
            return f"{header}:{st.st_size}:{st.st_mtime_ns}"
    return ""


def precompiled_header(cc: list, flags: list, includes: list) -> Optional[Path]:
    """The header to pass as `-include` (its `.gch` beside it), built on first use; None when the
    compiler is unknown or cannot precompile it."""
    identity = compiler_identity(cc)
    if not identity:
        return None
    digest = hashlib.sha256("\0".join([identity, _python_header_identity(includes), *cc, *flags,
                                       *includes, HEADER]).encode()).hexdigest()[:24]
    directory = cache_root() / "pch" / digest
    header = directory / "prism_python.h"
    failed = directory / "failed"
    if (directory / "prism_python.h.gch").is_file():
        return header
    if failed.exists():
        return None
    directory.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".pch-", dir=directory))
    try:
        (work / header.name).write_text(HEADER)
        command = cc + [f for f in flags if f != "-shared"] + [f"-I{d}" for d in includes] + \
            ["-x", "c-header", header.name, "-o", header.name + ".gch"]
        proc = subprocess.run(command, cwd=work, capture_output=True)
        if proc.returncode != 0:
            failed.touch()
            return None
        os.replace(work / header.name, header)
        os.replace(work / (header.name + ".gch"), directory / (header.name + ".gch"))
        return header
    except OSError:
        return None
    finally:
        shutil.rmtree(work, ignore_errors=True)
