"""`python -m transpiler ...` is the `prism` command."""
from transpiler.launcher import main

main()
