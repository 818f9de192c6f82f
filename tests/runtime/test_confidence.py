"""What Python callers receive for a confident value: prism_runtime.confidence.Conf."""
from pathlib import Path

import pytest

from prism_runtime.confidence import Conf, at_least, conf_of, more_confident, value_of, with_conf
from prism_runtime.errors import PrismError


def test_conf_reads_prints_compares_and_hashes_like_its_value():
    c = Conf(42, 0.5)
    assert (c.value, c.confidence) == (42, 0.5)
    assert str(c) == "42" and repr(c) == "Conf(42, 0.5)"
    assert c == 42 and 42 == c and c != 41 and c < 50 and c >= 42
    assert hash(c) == hash(42) and {c: "x"}[42] == "x"
    assert float(c) == 42.0 and int(c) == 42 and bool(Conf(0, 0.5)) is False
    assert str(Conf(True, 0.5)) == "true" and str(Conf(None, 0.5)) == "null"


def test_arithmetic_on_conf_multiplies_confidence():
    total = Conf(2, 0.5) + Conf(3, 0.5)
    assert total == 5 and total.confidence == 0.25
    scaled = Conf(1.5, 0.5) * 2
    assert scaled == 3.0 and scaled.confidence == 0.5


def test_with_conf_checks_the_range_and_keeps_plain_values_plain():
    assert conf_of(7) == 1.0 and value_of(7) == 7
    assert with_conf(3, 0.5).confidence == 0.5
    assert with_conf(with_conf(3, 0.5), 0.5).confidence == 0.25
    for bad in (1.5, -0.1):
        with pytest.raises(PrismError, match="is outside"):
            with_conf(3, bad)
    with pytest.raises(PrismError):
        Conf(1, 2.0)


def test_selection_operators():
    a, b = Conf("a", 0.5), Conf("b", 0.9)
    assert more_confident(a, b) is b and more_confident(b, a) is b
    assert more_confident(Conf("x", 0.5), Conf("y", 0.5)).value == "x"      # ties keep the left
    assert at_least(b, 0.8) is b and at_least(a, 0.8) is None


_RUNTIME_DIR = Path(__file__).resolve().parents[2] / "prism_runtime"
_RUNTIME_MODULES = sorted({p.stem for p in _RUNTIME_DIR.glob("*.pyx")} |
                          {p.stem for p in _RUNTIME_DIR.glob("*.py") if p.stem != "__init__"})


@pytest.mark.parametrize("module", _RUNTIME_MODULES)
def test_each_runtime_module_imports_first_in_a_fresh_interpreter(module):
    """The runtime modules cimport each other; none may depend on import order."""
    import subprocess
    import sys
    proc = subprocess.run([sys.executable, "-c", f"import prism_runtime.{module}"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
