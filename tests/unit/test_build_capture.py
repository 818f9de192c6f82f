"""Cython's output is captured on the thread that runs it only (toolchain/build.py): the
REPL warms a build up in the background while its prompt is drawn on the main thread."""
from __future__ import annotations

import io
import sys
import threading

from transpiler.toolchain import build


def test_capture_takes_only_the_building_threads_output(capsys):
    sink = io.StringIO()
    capturing, release = threading.Event(), threading.Event()

    def background_build():
        with build._captured_on_this_thread(sink):
            print("cython chatter")
            print("warning", file=sys.stderr)
            capturing.set()
            release.wait(10)

    worker = threading.Thread(target=background_build)
    worker.start()
    assert capturing.wait(10)
    print("prism> ")                      # the main thread, while the capture is on
    release.set()
    worker.join(10)
    assert sink.getvalue() == "cython chatter\nwarning\n"
    out = capsys.readouterr()
    assert out.out == "prism> \n" and out.err == ""


def test_a_kept_stand_in_writes_through_after_the_build(capsys):
    sink, kept = io.StringIO(), []
    real = sys.stdout
    with build._captured_on_this_thread(sink):
        kept.append(sys.stdout)               # a library that holds on to the stand-in
        print("during")
    assert sys.stdout is real                 # restored
    kept[0].write("after\n")                  # same thread, build over: the real stream
    assert sink.getvalue() == "during\n"
    assert capsys.readouterr().out == "after\n"
