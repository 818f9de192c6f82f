// The Prism extension's client: starts `prism lsp` (setting prism.server.command) over
// stdio for .prism files. Highlighting comes from syntaxes/prism.tmLanguage.json and
// editing rules from language-configuration.json; everything else (errors, hover,
// definitions, references, completion, symbols, rename, formatting) from the server.
"use strict";

const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const config = vscode.workspace.getConfiguration("prism");
  const [command, ...args] = config.get("server.command", ["prism", "lsp"]);
  const serverOptions = { command, args };
  const clientOptions = {
    documentSelector: [
      { scheme: "file", language: "prism" },
      { scheme: "untitled", language: "prism" },
    ],
    initializationOptions: { debounce_ms: config.get("server.debounceMs", 50) },
  };
  client = new LanguageClient("prism", "Prism language server", serverOptions, clientOptions);
  context.subscriptions.push(client);
  client.start().catch((err) => {
    vscode.window.showErrorMessage(
      `Prism: could not start '${[command, ...args].join(" ")}' (${err.message}). ` +
        "Install the compiler (pip install prism-lang) or set prism.server.command.");
  });
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
