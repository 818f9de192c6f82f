"""Analysis passes over the AST: macros, modules, names, types, checks (no code generation)."""
