"""`prism build`: every module under `src/` -> extension modules in
`target/release/` (or `target/debug/`), plus a native executable
`target/<profile>/NAME` that embeds Python and runs the main module.

Talks to: `project` (the validated Prism.toml), `build` (`build_module`,
`BuildOptions`, `write_if_changed`; the content-hash cache), `prism_runtime.install`
(`module_name_for`), `diagnostics` (rendering compile errors) and the system C
compiler (the launcher). A build manifest `target/<profile>/.prism-build.json`
records source hashes, options and a compiler fingerprint; when it matches,
`prism build` returns before importing Cython, setuptools or the runtime.

Profile-guided optimisation: `--profile-generate` builds the modules with
`-fprofile-generate=target/pgo`; running the executable writes `.gcda` files
there (one per module, named after the module); `--profile-use` rebuilds with
`-fprofile-use=target/pgo`. A hash of each module's profile data goes into its
build key (as `-DPRISM_PGO_DATA=...`), so new data rebuilds the module.
"""
from __future__ import annotations

import hashlib
import json
import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import click

from transpiler.toolchain.build import BuildOptions, extension_suffix, write_if_changed
from transpiler.front.diagnostics import from_record, render
from transpiler.tools.project import Project

MANIFEST_NAME = ".prism-build.json"
MANIFEST_VERSION = 1


# ---------------------------------------------------------------- fingerprints

def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def quick_fingerprint() -> str:
    """Hash of the compiler's sources, templates and runtime interfaces, the Python version and
    the C compiler; cheap (no imports), used only by the no-op check."""
    from transpiler.toolchain.cache_lookup import compiler_fingerprint
    runtime = Path(__file__).resolve().parents[2] / "prism_runtime"
    digest = hashlib.sha256(compiler_fingerprint().encode())
    for path in sorted(runtime.glob("*.py")):      # the runtime's Python modules, which the launcher imports
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    cc = _cc()
    digest.update(" ".join(cc).encode())
    exe = shutil.which(cc[0])
    if exe:
        st = os.stat(exe)
        digest.update(f"{exe}:{st.st_size}:{st.st_mtime_ns}".encode())
    return digest.hexdigest()


def _cc() -> list:
    return shlex.split(os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc")


def pgo_file(pgo_dir: Path, module: str) -> Path:
    """Where gcc writes a module's profile (see build.c_compiler_command's -fprofile-prefix-path)."""
    leaf = module.rpartition(".")[2]
    return pgo_dir / f"{leaf}{extension_suffix()}-{leaf}.gcda"


# ---------------------------------------------------------------- the build

def build_project(project: Project, debug=False, verbose=False, profile_generate=False, profile_use=False) -> int:
    started = time.perf_counter()
    target = project.target(debug)
    profile_name = "debug" if debug else "release"
    pgo_dir = project.root / "target" / "pgo"
    sources = sorted(project.src.rglob("*.prism"))
    main_file = project.main_file.resolve()
    if not main_file.is_file():
        click.echo(f"error: main module {project.main} does not exist", err=True)
        return 1
    if not main_file.is_relative_to(project.src.resolve()):
        click.echo(f"error: main module {project.main} must be under src/", err=True)
        return 1
    base = BuildOptions(opt_level=0 if debug else project.opt_level, lto=project.lto and not debug, debug=debug,
                        profile_generate=str(pgo_dir) if profile_generate else None,
                        profile_use=str(pgo_dir) if profile_use else None, verbose=verbose,
                        stack_guard=project.stack_guard)
    pgo_hashes = {}
    if profile_use:
        if not any(pgo_dir.glob("*.gcda")):
            click.echo(f"error: no profile data in {pgo_dir}: run `prism build --profile-generate`, then "
                       f"`./target/release/{project.name}` with a typical workload, then `prism build --profile-use`",
                       err=True)
            return 1
        for src in sources:
            data = pgo_file(pgo_dir, _stem_module(src))
            pgo_hashes[str(src.relative_to(project.src))] = _sha(data.read_bytes())[:16] if data.is_file() else None

    rel_sources = {str(s.relative_to(project.src)): _sha(s.read_bytes()) for s in sources}
    state = {"version": MANIFEST_VERSION, "options": base.key_fields(), "fingerprint": quick_fingerprint(),
             "python": sys.executable, "sources": rel_sources, "pgo": pgo_hashes, "name": project.name,
             "main": str(main_file.relative_to(project.src.resolve()))}
    state = json.loads(json.dumps(state, sort_keys=True))     # tuples -> lists, as stored
    manifest_path = target / MANIFEST_NAME
    exe = target / project.name
    old = _read_json(manifest_path)
    if old.get("state") == state and exe.is_file() and all((target / o).is_file() for o in old.get("outputs", [])):
        click.echo(f"    Finished {profile_name} [up to date] {_rel(exe)} in {time.perf_counter() - started:.2f}s")
        return 0

    from prism_runtime.install import module_name_for
    target.mkdir(parents=True, exist_ok=True)
    if profile_generate:
        pgo_dir.mkdir(parents=True, exist_ok=True)
    jobs = []
    for src in sources:
        rel = str(src.relative_to(project.src))
        options = base
        if pgo_hashes.get(rel):
            options = BuildOptions(**{**_fields(base), "extra_cflags": (f"-DPRISM_PGO_DATA={pgo_hashes[rel]}",)})
        elif profile_use:
            click.echo(f"warning: no profile data for {rel} (not run by the instrumented executable?)", err=True)
        jobs.append((src.resolve(), module_name_for(src.stem), options))
    results = _run_jobs(jobs, project.codegen_units)
    failed = [r for r in results if r[0] == "error"]
    for status, payload, src in results:
        if status == "error":
            click.echo(payload, err=True)
    if failed:
        click.echo(f"error: could not build {project.name} ({len(failed)} module(s) failed)", err=True)
        return 1
    outputs = []
    for (status, result, src), (_, module, _opts) in zip(results, jobs):
        rel_dir = src.parent.relative_to(project.src.resolve())
        out_dir = target / rel_dir
        out_dir.mkdir(parents=True, exist_ok=True)
        if result["warnings"]:
            text = src.read_text(encoding="utf-8", errors="replace")
            for warning in result["warnings"]:
                click.echo(render(from_record(warning), text, _rel(src), "warning"), err=True)
        so_name = module + extension_suffix()
        write_if_changed(Path(result["extension"]), out_dir / so_name)
        if Path(result["pyx"]).is_file():
            write_if_changed(Path(result["pyx"]), out_dir / (module.rpartition(".")[2] + ".pyx"))
        outputs.append(str(rel_dir / so_name))
        verb = "Fresh" if result["cached"] else "Compiled"
        click.echo(f"{verb:>12} {module} ({_rel(src)})")
    main_module = module_name_for(main_file.stem)
    main_dir = main_file.parent.relative_to(project.src.resolve())
    if not link_launcher(project, target, main_module, str(main_dir), base, old.get("launcher")):
        return 1
    _write_json(manifest_path, {"state": state, "outputs": outputs, "launcher": _launcher_key(project, target,
                                                                                             main_module,
                                                                                             str(main_dir), base)})
    extra = " (instrumented for PGO: run it, then `prism build --profile-use`)" if profile_generate else \
        " (optimised with profile data)" if profile_use else ""
    click.echo(f"    Finished {profile_name} [-O{base.opt_level}{' lto' if base.lto else ''}] {_rel(exe)}"
               f" in {time.perf_counter() - started:.2f}s{extra}")
    return 0


def _stem_module(src: Path) -> str:
    from prism_runtime.install import module_name_for
    return module_name_for(src.stem)


def _fields(options: BuildOptions) -> dict:
    from dataclasses import asdict
    return asdict(options)


def _build_one(job):
    """Worker: build one module; returns ("ok", result dict, src) or ("error", rendered text, src)."""
    src, module, options = job
    from transpiler.toolchain.build import InternalCompilerError, as_compile_error, build_module
    from transpiler.front.diagnostics import CompileError, record, render
    try:
        r = build_module(src, module, options)
        return "ok", {"extension": str(r.extension), "pyx": str(r.pyx), "cached": r.cached,
                      "warnings": [record(w) for w in r.warnings]}, src
    except CompileError as exc:
        return "error", render(exc, src.read_text(encoding="utf-8", errors="replace"), _rel(src)), src
    except InternalCompilerError as exc:
        return "error", render(as_compile_error(exc, str(src)), None, _rel(src)), src


def _run_jobs(jobs: list, units: int) -> list:
    """Build the modules, `codegen-units` at a time (separate processes: Cython is not thread-safe)."""
    if units <= 1 or len(jobs) <= 1:
        return [_build_one(job) for job in jobs]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    ctx = multiprocessing.get_context("fork") if sys.platform != "win32" else None
    with ProcessPoolExecutor(max_workers=min(units, len(jobs)), mp_context=ctx) as pool:
        return list(pool.map(_build_one, jobs))


# ---------------------------------------------------------------- the launcher

LAUNCHER_SNIPPET = r'''
import os, sys
def _prism_location(exc):
    found = None
    tb = exc.__traceback__
    while tb is not None:
        frame = tb.tb_frame
        g = frame.f_globals
        name = frame.f_code.co_filename
        if name.endswith(".pyx") and g.get("__prism_source__") and g.get("__file__"):
            pyx = os.path.join(os.path.dirname(g["__file__"]), os.path.basename(name))
            try:
                lines = open(pyx, encoding="utf-8").read().splitlines()[:tb.tb_lineno]
            except OSError:
                lines = []
            for text in reversed(lines):
                i = text.rfind("# @L")
                if i >= 0 and text[i + 4:].strip().isdigit():
                    found = (g["__prism_source__"], int(text[i + 4:].strip()))
                    break
        tb = tb.tb_next
    return found
def _prism_launch(module_name, sub_dir, extra_paths):
    try:
        exe = os.path.realpath("/proc/self/exe")
    except OSError:
        exe = os.path.realpath(sys.argv[0])
    here = os.path.dirname(exe)
    sys.path[:0] = [os.path.join(here, sub_dir), here] + [p for p in extra_paths if p not in sys.path]
    try:
        import importlib, inspect
        module = importlib.import_module(module_name)
        main = getattr(module, "__prism_main__", None)
        if main is not None:
            result = main()
            if inspect.isawaitable(result):
                import asyncio
                async def _wait():
                    return await result
                asyncio.run(_wait())
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except KeyboardInterrupt:
        return 130
    except BaseException as exc:
        sys.stdout.flush()
        where = _prism_location(exc)
        try:
            from prism_runtime.errors import as_prism_error
            message = as_prism_error(exc).message
        except Exception:
            message = f"{type(exc).__name__}: {exc}"
        if where is not None:
            path = where[0]
            try:
                path = os.path.relpath(path)
            except ValueError:
                pass
            print(f"{path}:{where[1]}: error: {message}", file=sys.stderr)
        else:
            print(f"{module_name}: error: {message}", file=sys.stderr)
        return 1
    finally:
        sys.stdout.flush()
    return 0
'''

LAUNCHER_C = r'''/* Generated by `prism build`: runs Prism module %(module)s with an embedded Python. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

static const char *prism_snippet =
%(snippet)s;

int main(int argc, char **argv) {
    PyStatus status;
    PyConfig config;
    int rc = 1;
    PyConfig_InitPythonConfig(&config);
    config.parse_argv = 0;
    /* Resolve paths as the interpreter that built this program does (venvs included). */
    status = PyConfig_SetBytesString(&config, &config.program_name, %(program)s);
    if (PyStatus_Exception(status)) goto init_failed;
    status = PyConfig_SetBytesArgv(&config, argc, argv);
    if (PyStatus_Exception(status)) goto init_failed;
    status = Py_InitializeFromConfig(&config);
    if (PyStatus_Exception(status)) goto init_failed;
    PyConfig_Clear(&config);
    {
        PyObject *main_module = PyImport_AddModule("__main__");
        PyObject *globals = main_module ? PyModule_GetDict(main_module) : NULL;
        PyObject *ran = globals ? PyRun_String(prism_snippet, Py_file_input, globals, globals) : NULL;
        PyObject *code = NULL;
        if (ran != NULL) {
            Py_DECREF(ran);
            code = PyRun_String(%(call)s, Py_eval_input, globals, globals);
        }
        if (code == NULL) {
            PyErr_Print();
            rc = 1;
        } else {
            rc = (int)PyLong_AsLong(code);
            Py_DECREF(code);
        }
    }
    if (Py_FinalizeEx() < 0 && rc == 0) rc = 120;
    return rc;
init_failed:
    PyConfig_Clear(&config);
    Py_ExitStatusException(status);
    return 1;
}
'''


def _c_string(text: str) -> str:
    out = []
    for line in text.splitlines(keepends=True):
        escaped = line.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        out.append(f'    "{escaped}"')
    return "\n".join(out) if out else '""'


def launcher_source(module: str, sub_dir: str) -> str:
    runtime_parent = str(Path(__file__).resolve().parents[2])
    call = f"_prism_launch({module!r}, {sub_dir!r}, [{runtime_parent!r}])"
    return LAUNCHER_C % {"module": module, "snippet": _c_string(LAUNCHER_SNIPPET),
                         "program": _c_string(sys.executable), "call": _c_string(call)}


def launcher_command(c_path: Path, exe: Path, options: BuildOptions) -> list:
    """Compile and link the launcher like `python3-config --embed --cflags --ldflags` would."""
    var = sysconfig.get_config_var
    flags = [f"-O{options.opt_level}"] + (["-g"] if options.debug else []) + (["-flto"] if options.lto else [])
    shared = bool(var("Py_ENABLE_SHARED"))
    libs = [f"-L{var('LIBDIR')}"] + ([] if shared else [f"-L{var('LIBPL')}"]) \
        + [f"-lpython{var('VERSION')}{var('ABIFLAGS') or ''}"] \
        + shlex.split(var("LIBS") or "") + shlex.split(var("SYSLIBS") or "")
    if shared and var("LIBDIR"):
        libs.append(f"-Wl,-rpath,{var('LIBDIR')}")
    if not shared:
        libs += shlex.split(var("LINKFORSHARED") or "")
    return _cc() + flags + [f"-I{sysconfig.get_paths()['include']}", str(c_path), "-o", str(exe)] + libs


def _launcher_key(project, target, module, sub_dir, options) -> str:
    build = target / "build"
    cmd = launcher_command(build / "launcher.c", target / project.name, options)
    return _sha((launcher_source(module, sub_dir) + "\0".join(cmd)).encode())


def link_launcher(project: Project, target: Path, module: str, sub_dir: str, options: BuildOptions,
                  old_key) -> bool:
    exe = target / project.name
    key = _launcher_key(project, target, module, sub_dir, options)
    if key == old_key and exe.is_file():
        return True
    build = target / "build"
    build.mkdir(parents=True, exist_ok=True)
    c_path = build / "launcher.c"
    c_path.write_text(launcher_source(module, sub_dir), encoding="utf-8")
    command = launcher_command(c_path, exe, options)
    if options.verbose:
        click.echo(" ".join(shlex.quote(part) for part in command), err=True)
    proc = subprocess.run(command, capture_output=True, text=True)
    if proc.returncode != 0:
        click.echo(f"error: linking {_rel(exe)} failed:\n{proc.stderr[-3000:]}", err=True)
        return False
    click.echo(f"{'Linked':>12} {_rel(exe)}")
    return True


# ---------------------------------------------------------------- helpers

def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
    os.replace(tmp, path)


def _rel(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)
