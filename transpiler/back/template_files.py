"""Where the Jinja templates are: `templates/` at the top of a checkout, or
`transpiler/templates` in an installed prism-lang (setup.py maps one to the other).

Standard library only: `render` loads the templates from here, and
`toolchain.cache_lookup` hashes them into the compiler's fingerprint on every
warm start, which must not import Jinja.
"""
from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent        # transpiler/


def templates_dir() -> Path:
    for candidate in (PACKAGE_DIR / "templates", PACKAGE_DIR.parent / "templates"):
        if (candidate / "module.pyx.j2").is_file():
            return candidate
    raise FileNotFoundError("Prism templates not found next to the transpiler package")
