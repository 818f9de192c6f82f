"""Editor tooling built on the compiler's own front end.

- `fmt`, `fmt_tokens`, `fmt_cli`: the formatter and `prism fmt`.
- `lsp`, `lsp_index`, `lsp_features`: the language server behind `prism lsp`.
- `pygments_lexer`: syntax highlighting for Pygments (Sphinx, MkDocs, pygmentize).

Every tool reads Prism through `transpiler.front.tokenizer`, `transpiler.front.parser` and
`transpiler.pipeline`: there is no second parser.
"""
