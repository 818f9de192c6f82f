"""`python -m transpiler.cli_prismc` is the `prismc` command (for environments without the script)."""
from transpiler.cli import prismc_main

prismc_main(prog_name="prismc")
