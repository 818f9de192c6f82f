"""`python -m transpiler.tools.cli_prismc` is the `prismc` command (for environments without the script)."""
from transpiler.tools.cli import prismc_main

prismc_main(prog_name="prismc")
