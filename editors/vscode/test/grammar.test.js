// Tests of syntaxes/prism.tmLanguage.json with the engine VS Code itself uses
// (vscode-textmate on vscode-oniguruma). Run with `npm test` after `npm ci`; the
// Python suite runs it too (tests/tools/test_editor_grammar.py) when Node is there.
//
// For every valid program of the repository (tests/cases except the error cases,
// samples/, bench/) and the original authors' Prism v2 examples (../shared, when
// present): every non-blank piece of text gets a scope of its own, and the file ends
// with no region left open (an unclosed string, comment or brace region would colour
// the rest of the file). Then the scopes of the constructs the grammar exists for.
"use strict";

const test = require("node:test");
const assert = require("node:assert");
const fs = require("node:fs");
const path = require("node:path");
const vsctm = require("vscode-textmate");
const oniguruma = require("vscode-oniguruma");

const EXTENSION = path.resolve(__dirname, "..");
const REPO = path.resolve(EXTENSION, "..", "..");
const ORIGIN_EXAMPLES = path.resolve(REPO, "..", "shared", "origin-examples");

async function loadGrammar() {
  const wasm = fs.readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm"));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
      createOnigString: (s) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async (scopeName) => {
      if (scopeName !== "source.prism") return null;
      const file = path.join(EXTENSION, "syntaxes", "prism.tmLanguage.json");
      return vsctm.parseRawGrammar(fs.readFileSync(file, "utf8"), file);
    },
  });
  return registry.loadGrammar("source.prism");
}

const grammarPromise = loadGrammar();

function tokenize(grammar, text) {
  let stack = vsctm.INITIAL;
  const out = [];
  text.split(/\r?\n/).forEach((line, lineNo) => {
    const result = grammar.tokenizeLine(line, stack);
    for (const tok of result.tokens) {
      out.push({ line: lineNo, text: line.slice(tok.startIndex, tok.endIndex), scopes: tok.scopes });
    }
    stack = result.ruleStack;
  });
  return { tokens: out, end: stack };
}

function prismFiles(dir, filter) {
  if (!fs.existsSync(dir)) return [];
  const found = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...prismFiles(full, filter));
    else if (entry.name.endsWith(".prism") && filter(entry.name)) found.push(full);
  }
  return found.sort();
}

const notErrorCase = (name) => !name.startsWith("err_");
const PROGRAMS = [
  ...prismFiles(path.join(REPO, "tests", "cases"), notErrorCase),
  ...prismFiles(path.join(REPO, "samples"), () => true),
  ...prismFiles(path.join(REPO, "bench"), () => true),
];

function checkProgram(grammar, file) {
  const { tokens, end } = tokenize(grammar, fs.readFileSync(file, "utf8"));
  const bare = tokens.filter((t) => t.text.trim() !== "" && t.scopes.length < 2);
  assert.deepStrictEqual(bare.slice(0, 3), [], `${file}: text without a scope`);
  assert.strictEqual(end.depth, 1, `${file}: a region is still open at the end of the file`);
}

test("the repository's programs", async () => {
  const grammar = await grammarPromise;
  assert.ok(PROGRAMS.length > 50, "found the repository's programs");
  for (const file of PROGRAMS) checkProgram(grammar, file);
});

test("the original Prism v2 examples", async (t) => {
  const files = prismFiles(ORIGIN_EXAMPLES, () => true);
  if (files.length === 0) {
    t.skip("../shared/origin-examples is not present beside the repository");
    return;
  }
  const grammar = await grammarPromise;
  for (const file of files) checkProgram(grammar, file);
});

function scopesOf(grammar, text) {
  const map = new Map();
  for (const tok of tokenize(grammar, text).tokens) {
    if (tok.text.trim() !== "" && !map.has(tok.text.trim())) map.set(tok.text.trim(), tok.scopes.join(" "));
  }
  return map;
}

test("scopes of the constructs", async () => {
  const grammar = await grammarPromise;
  const s = scopesOf(grammar, [
    "// a comment",
    "fn area(w: float) -> float ~0.9 { w * 2 }",
    "let label = `n=${ {a: 1}.a + w }` ~> 0.5",
    "let hex = 0x1F",
    "uncertain if label { } medium { } low { }",
    "let low = true",
    "import { sqrt } from \"math\"",
    "match x { v ~{0.8, 1.0} => <~ v, _ => null }",
    "macro getter<f> { fn ${f}_get(self) { $f } }",
    "let q = Point::new(1) ~0.8",
    "#[test]",
  ].join("\n"));
  assert.match(s.get("a comment"), /comment\.line\.double-slash\.prism/);
  assert.match(s.get("fn"), /storage\.type\.function\.prism/);
  assert.match(s.get("area"), /entity\.name\.function\.prism/);
  assert.match(s.get("float"), /support\.type\.primitive\.prism/);
  assert.match(s.get("~"), /keyword\.operator\.confidence\.prism/);
  assert.match(s.get("~>"), /keyword\.operator\.confidence\.prism/);
  assert.match(s.get("<~"), /keyword\.operator\.confidence\.prism/);
  assert.match(s.get("0.9"), /constant\.numeric\.decimal\.prism/);
  assert.match(s.get("0x1F"), /constant\.numeric\.hex\.prism/);
  assert.match(s.get("`"), /string\.template\.prism/);
  assert.match(s.get("${"), /punctuation\.definition\.template-expression\.begin\.prism/);
  assert.match(s.get("uncertain"), /keyword\.control\.uncertain\.prism/);
  assert.match(s.get("medium"), /keyword\.control\.uncertain\.prism/);
  assert.match(s.get("\"math\"") || s.get("\""), /string\.quoted\.double\.prism/);
  assert.match(s.get("true"), /constant\.language\.prism/);
  assert.match(s.get("::"), /keyword\.operator\.namespace\.prism/);
  assert.match(s.get("$"), /variable\.macro\.prism/);
  assert.match(s.get("test"), /entity\.name\.function\.decorator\.prism/);
  // `low` is a keyword only before `{`: as a variable name it is a variable.
  const lowLine = tokenize(grammar, "let low = true").tokens.find((t) => t.text === "low");
  assert.match(lowLine.scopes.join(" "), /variable\.other\.declaration\.prism/);
  // The template's `}` closes the inner object first, then the interpolation.
  const template = tokenize(grammar, "`x ${ {a: 1}.a } y`").tokens;
  assert.match(template[template.length - 2].scopes.join(" "), /string\.template\.prism/);
});
