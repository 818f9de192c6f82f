"""Pygments lexer for Prism, registered as `prism` through the `pygments.lexers` entry
point (see pyproject.toml), so `pygmentize -l prism`, Sphinx, MkDocs and every other
Pygments user highlight `*.prism` files and ```prism code blocks.

It follows `transpiler/front/tokenizer.py` (comments, numbers, the three string forms,
operators) and knows the Prism v2 words and tokens as well (traits, generics,
macros with `$p`, `#$p`, `${p}`, `Type::name`, `~{lo, hi}`, postfix `~0.9`).
Soft keywords are keywords only where the word after them makes them one
(`uncertain if`, `shift to`, `medium {`), as in the parser. A valid program
never yields an `Error` token (tests/tools/test_highlighting.py).

Talks to: `transpiler.front.tokenizer` (the keyword sets); nothing else.
"""
from __future__ import annotations

from pygments.lexer import RegexLexer, bygroups, include, words
from pygments.token import Comment, Keyword, Name, Number, Operator, Punctuation, String, Whitespace

from transpiler.front.tokenizer import KEYWORDS

CONSTANTS = ("true", "false", "null", "nil", "None")
# Prism v2 keywords (PRISM_SCOPE_V2.md); harmless where the compiler does not know them yet.
V2_KEYWORDS = ("trait", "impl", "operator", "macro", "module", "export", "promise", "verify",
               "against", "sources", "type", "Some")
TYPES = ("int", "float", "bool", "string", "str", "i64", "f64", "i32", "f32", "integer",
         "number", "auto", "array", "tensor", "any", "map", "object", "HashMap", "Option",
         "Result", "Self")
BUILTINS = ("print", "len", "round", "abs", "min", "max", "sum", "range", "error", "conf",
            "type_of", "typeof", "confidence", "now", "assert", "sleep", "llm", "log",
            "Cache", "LLMCache", "ContextPool", "TensorPool", "Metrics", "MemoryTracker",
            "PerfMonitor", "Context", "Promise")
_DECLARING = ("fn", "struct", "trait", "impl", "macro", "module", "operator")
_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"


class PrismLexer(RegexLexer):
    """Prism: a confidence-aware language for LLM applications."""

    name = "Prism"
    aliases = ["prism"]
    filenames = ["*.prism"]
    mimetypes = ["text/x-prism"]

    tokens = {
        "root": [
            (r"\s+", Whitespace),
            (r"//.*?$", Comment.Single),
            (r"/\*", Comment.Multiline, "block-comment"),
            (r"#\[", Name.Decorator, "attribute"),
            include("macro"),
            (r"`", String.Backtick, "template"),
            (r'"(\\\\|\\[^\\]|[^"\\\n])*"', String.Double),
            (r"'(\\\\|\\[^\\]|[^'\\\n])*'", String.Single),
            include("numbers"),
            # Soft keywords: keywords only before what makes them one (as in the parser).
            (r"\b(uncertain)(\s+)(if)\b", bygroups(Keyword, Whitespace, Keyword)),
            (r"\b(shift)(\s+)(to)\b", bygroups(Keyword, Whitespace, Keyword)),
            (r"\b(medium|low)(?=\s*\{)", Keyword),
            (r"\b(in)(\s+)(context)\b", bygroups(Keyword, Whitespace, Keyword)),
            (r"\b(context)(?=\s+[A-Za-z_\"])", Keyword),
            (r"\b(" + "|".join(_DECLARING) + r")(\s+)(" + _IDENT + ")",
             bygroups(Keyword.Declaration, Whitespace, Name.Function)),
            (words(CONSTANTS, prefix=r"\b", suffix=r"\b"), Keyword.Constant),
            (words(("self", "this"), prefix=r"\b", suffix=r"\b"), Name.Builtin.Pseudo),
            (words(tuple(sorted(KEYWORDS - set(CONSTANTS))) + V2_KEYWORDS, prefix=r"\b", suffix=r"\b"), Keyword),
            (words(TYPES, prefix=r"\b", suffix=r"\b"), Keyword.Type),
            (words(BUILTINS, prefix=r"\b", suffix=r"\b"), Name.Builtin),
            (_IDENT, Name),
            include("operators"),
        ],
        "numbers": [
            (r"0[xX](_?[0-9a-fA-F])+", Number.Hex),
            (r"0[bB](_?[01])+", Number.Bin),
            (r"0[oO](_?[0-7])+", Number.Oct),
            (r"[0-9](_?[0-9])*\.[0-9](_?[0-9])*([eE][+-]?[0-9](_?[0-9])*)?", Number.Float),
            (r"[0-9](_?[0-9])*[eE][+-]?[0-9](_?[0-9])*", Number.Float),
            (r"[0-9](_?[0-9])*", Number.Integer),
        ],
        "operators": [
            # Confidence operators first: `~{` opens a confidence range, `~0.9` is postfix.
            (r"~\?\?|~\|\|>|~@>|~>|<~|~", Operator),
            (r"::|=>|->|\.\.\.|\.\.=|\.\.|==|!=|<=|>=|&&|\|\||\+=|-=|\*=|/=|%=|\*\*", Operator),
            (r"[-+*/%=<>!&|^?.@]", Operator),
            (r"[(){}\[\],;:#]", Punctuation),
        ],
        # Macro bodies (v2): `$p` is an argument, `#$p` its source text, `${p}` a pasted name.
        "macro": [
            (r"(#?\$)(" + _IDENT + ")", bygroups(String.Interpol, Name.Variable)),
            (r"(\$\{)(\s*" + _IDENT + r"\s*)(\})", bygroups(String.Interpol, Name.Variable, String.Interpol)),
        ],
        "block-comment": [
            (r"[^*]+", Comment.Multiline),
            (r"\*/", Comment.Multiline, "#pop"),
            (r"\*", Comment.Multiline),
        ],
        "attribute": [
            (r"\]", Name.Decorator, "#pop"),
            (r"\(", Punctuation, "attribute-args"),
            (r"\s+", Whitespace),
            (_IDENT, Name.Decorator),
        ],
        "attribute-args": [
            (r"\)", Punctuation, "#pop"),
            include("root"),
        ],
        "template": [
            (r"`", String.Backtick, "#pop"),
            (r"\\(u\{[0-9a-fA-F]{1,6}\}|.)", String.Escape),
            (r"\$\{", String.Interpol, "interpolation"),
            (r"[^`\\$]+", String.Backtick),
            (r"\$", String.Backtick),
        ],
        "interpolation": [
            (r"\}", String.Interpol, "#pop"),
            (r"\{", Punctuation, "interpolation-brace"),
            include("root"),
        ],
        "interpolation-brace": [
            (r"\}", Punctuation, "#pop"),
            (r"\{", Punctuation, "#push"),
            include("root"),
        ],
    }

