"""`python -m transpiler ...` is the `prism` command."""
from transpiler.tools.launcher import main

main()
