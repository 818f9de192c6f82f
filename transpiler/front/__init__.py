"""Syntax: tokenizer, parser (grammar.txt), concrete tree to AST, diagnostics."""
