"""`python -m transpiler ...` is the `prism` command."""
from transpiler.cli import prism_main

prism_main(prog_name="prism")
