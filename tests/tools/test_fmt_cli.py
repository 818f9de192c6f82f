"""`prism fmt` as a user runs it: rewriting, --check, --diff, standard input,
unparsable files, exclusions, and --check on this repository itself."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MESSY = "fn  f( a:int )->int{a*2}\nprint(f(1))\n"
TIDY = "fn f(a: int) -> int { a * 2 }\nprint(f(1))\n"


def fmt(args: list, prism_env, cwd, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "transpiler", "fmt", *args], cwd=cwd, env=prism_env,
                          capture_output=True, text=True, input=stdin, timeout=300)


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "messy.prism").write_text(MESSY)
    (tmp_path / "src" / "tidy.prism").write_text(TIDY)
    (tmp_path / "target").mkdir()                       # build output: never searched
    (tmp_path / "target" / "gen.prism").write_text(MESSY)
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "x.prism").write_text(MESSY)
    return tmp_path


def test_check_lists_files_and_changes_nothing(tree, prism_env):
    proc = fmt(["--check", "."], prism_env, tree)
    assert proc.returncode == 1
    assert "would reformat src/messy.prism" in proc.stderr
    assert "1 file would be reformatted, 1 file already formatted." in proc.stderr
    assert "tidy.prism" not in proc.stderr.replace("1 file already", "")
    assert (tree / "src" / "messy.prism").read_text() == MESSY


def test_diff_prints_and_changes_nothing(tree, prism_env):
    proc = fmt(["--diff", "src/messy.prism"], prism_env, tree)
    assert proc.returncode == 0
    assert "-fn  f( a:int )->int{a*2}" in proc.stdout and "+fn f(a: int) -> int { a * 2 }" in proc.stdout
    assert (tree / "src" / "messy.prism").read_text() == MESSY


def test_rewrites_in_place(tree, prism_env):
    proc = fmt([], prism_env, tree)
    assert proc.returncode == 0, proc.stderr
    assert "reformatted src/messy.prism" in proc.stderr
    assert (tree / "src" / "messy.prism").read_text() == TIDY
    assert (tree / "target" / "gen.prism").read_text() == MESSY
    assert (tree / ".hidden" / "x.prism").read_text() == MESSY
    assert fmt(["--check"], prism_env, tree).returncode == 0


def test_unparsable_file_is_reported_and_untouched(tree, prism_env):
    broken = tree / "src" / "broken.prism"
    broken.write_text("let x = (1 +\n")
    proc = fmt(["src"], prism_env, tree)
    assert proc.returncode == 2
    assert "error: cannot format src/broken.prism: it does not parse" in proc.stderr
    assert "src/broken.prism:1:9: error: unclosed '('" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert broken.read_text() == "let x = (1 +\n"
    assert (tree / "src" / "messy.prism").read_text() == TIDY      # the others are still formatted


def test_standard_input(prism_env, tmp_path):
    proc = fmt(["-"], prism_env, tmp_path, stdin=MESSY)
    assert proc.returncode == 0 and proc.stdout == TIDY
    assert fmt(["--check", "-"], prism_env, tmp_path, stdin=MESSY).returncode == 1
    assert fmt(["--check", "-"], prism_env, tmp_path, stdin=TIDY).returncode == 0


def test_excludes_from_prism_toml_and_option(tree, prism_env):
    (tree / "Prism.toml").write_text('[package]\nname = "demo"\n\n[fmt]\nexclude = ["src/messy.prism"]\n')
    assert fmt(["--check"], prism_env, tree).returncode == 0
    (tree / "Prism.toml").write_text('[package]\nname = "demo"\n')
    assert fmt(["--check", "--exclude", "src/mess*"], prism_env, tree).returncode == 0
    assert fmt(["--check"], prism_env, tree).returncode == 1


def test_repository_is_formatted(prism_env):
    proc = fmt(["--check", "."], prism_env, REPO)
    assert proc.returncode == 0, proc.stderr
