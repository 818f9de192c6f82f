"""The VS Code extension (editors/vscode): its TextMate grammar tested in Node with
vscode-textmate + vscode-oniguruma (editors/vscode/test/grammar.test.js), and
`npx @vscode/vsce package` making a .vsix that holds the grammar, the language
configuration and the language client.

Runs when Node and npm are installed; the extension's npm packages are
installed with `npm ci` from its package-lock.json into editors/vscode/node_modules
(ignored by git) on first use.
"""
from __future__ import annotations

import fcntl
import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

EXTENSION = Path(__file__).resolve().parents[2] / "editors" / "vscode"


@pytest.fixture(scope="module")
def node_modules():
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("Node.js and npm are not installed")
    # xdist workers share the directory: one installs, the others wait for it.
    with open(EXTENSION / "package-lock.json") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        marker = EXTENSION / "node_modules" / ".package-lock.json"
        if not marker.is_file() or marker.stat().st_mtime < (EXTENSION / "package-lock.json").stat().st_mtime:
            proc = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=EXTENSION,
                                  capture_output=True, text=True, stdin=subprocess.DEVNULL)
            if proc.returncode != 0:
                pytest.skip("npm ci could not install the extension's packages: "
                            + (proc.stderr.strip().splitlines() or ["?"])[-1])
    return EXTENSION / "node_modules"


def test_textmate_grammar_in_node(node_modules):
    proc = subprocess.run(["node", "--test", "test/"], cwd=EXTENSION, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "# fail 0" in proc.stdout and "# pass 0" not in proc.stdout


def test_vsce_packages_a_vsix(node_modules, tmp_path):
    out = tmp_path / "prism.vsix"
    proc = subprocess.run(["npx", "@vscode/vsce", "package", "--out", str(out)], cwd=EXTENSION,
                          capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    with zipfile.ZipFile(out) as vsix:
        names = set(vsix.namelist())
        manifest = json.loads(vsix.read("extension/package.json"))
    assert {"extension/extension.js", "extension/language-configuration.json",
            "extension/syntaxes/prism.tmLanguage.json",
            "extension/node_modules/vscode-languageclient/package.json"} <= names
    assert not any(n.startswith("extension/test/") for n in names)
    assert manifest["contributes"]["grammars"][0]["scopeName"] == "source.prism"


def test_grammar_file_is_valid_json_with_the_scope():
    grammar = json.loads((EXTENSION / "syntaxes" / "prism.tmLanguage.json").read_text())
    assert grammar["scopeName"] == "source.prism"
    config = json.loads((EXTENSION / "language-configuration.json").read_text())
    assert config["comments"] == {"lineComment": "//", "blockComment": ["/*", "*/"]}
