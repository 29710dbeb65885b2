#!/usr/bin/env node
// Lint the process library's BPMN files the way bpmn-js and Camunda Modeler read them.
//
// For every processes/**/*.bpmn (or the files given as arguments):
//   (a) parse with bpmn-moddle + the Camunda 7 moddle extension (camunda-bpmn-moddle) and
//       collect every import warning: unknown elements or attributes, unresolved references;
//   (b) run bpmnlint with the repository's .bpmnlintrc (extends bpmnlint:recommended), rules
//       resolved from node_modules/bpmnlint/rules by bpmnlint's NodeResolver.
//
// Prints one JSON document on stdout:
//   {"config": {...}, "files": {"processes/x.bpmn": {"parse_error": null | "...",
//     "moddle_warnings": [{"id", "message"}], "lint": [{"rule", "category", "id", "message"}]}}}
// Exit status: 0 when every file is clean, 1 when any file has a finding, 2 on a usage or
// setup error (message on stderr).
//
// Run from anywhere:  node tests/js/lint_bpmn.mjs [file.bpmn ...]

import { readFile, readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(path.join(ROOT, 'package.json'));

function fail(message) {
  process.stderr.write(message + '\n');
  process.exit(2);
}

let BpmnModdle, camundaModdle, Linter, NodeResolver;
try {
  ({ BpmnModdle } = await import(require.resolve('bpmn-moddle')));
  camundaModdle = require('camunda-bpmn-moddle/resources/camunda.json');
  ({ Linter } = require('bpmnlint'));
  NodeResolver = require('bpmnlint/lib/resolver/node-resolver');
} catch (error) {
  fail(`cannot load bpmn-moddle / camunda-bpmn-moddle / bpmnlint from ${ROOT}/node_modules ` +
       `(run \`npm ci\` at the repository root): ${error.message}`);
}

async function findBpmn(dir) {
  const found = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      found.push(...await findBpmn(full));
    } else if (entry.isFile() && entry.name.endsWith('.bpmn')) {
      found.push(full);
    }
  }
  return found.sort();
}

async function lintFile(file, config) {
  const result = { parse_error: null, moddle_warnings: [], lint: [] };
  const xml = await readFile(file, 'utf-8');
  // A fresh moddle per file: moddle keeps ids it has seen, so sharing one would make
  // ids repeated across files look like duplicates.
  const moddle = new BpmnModdle({ camunda: camundaModdle });
  let definitions;
  try {
    const parsed = await moddle.fromXML(xml, 'bpmn:Definitions');
    definitions = parsed.rootElement;
    result.moddle_warnings = (parsed.warnings || []).map((warning) => ({
      id: (warning.element && warning.element.id) || null,
      message: String(warning.message).split('\n')[0],
    }));
  } catch (error) {
    result.parse_error = String(error.message).split('\n')[0];
    result.moddle_warnings = (error.warnings || []).map((warning) => ({
      id: (warning.element && warning.element.id) || null,
      message: String(warning.message).split('\n')[0],
    }));
    return result;
  }
  // NodeResolver resolves packages from the working directory: run it from the repo root.
  const linter = new Linter({ config, resolver: new NodeResolver() });
  const reports = await linter.lint(definitions);
  for (const [rule, findings] of Object.entries(reports)) {
    for (const finding of findings) {
      result.lint.push({
        rule,
        category: finding.category,
        id: finding.id || null,
        message: finding.message,
      });
    }
  }
  return result;
}

async function main() {
  process.chdir(ROOT);
  let config;
  try {
    config = JSON.parse(await readFile(path.join(ROOT, '.bpmnlintrc'), 'utf-8'));
  } catch (error) {
    fail(`cannot read ${path.join(ROOT, '.bpmnlintrc')}: ${error.message}`);
  }
  const args = process.argv.slice(2);
  const files = args.length
    ? args.map((file) => path.resolve(file))
    : await findBpmn(path.join(ROOT, 'processes'));
  if (!files.length) {
    fail('no .bpmn files found under processes/');
  }
  const out = { config, files: {} };
  let dirty = false;
  for (const file of files) {
    const result = await lintFile(file, config);
    const rel = path.relative(ROOT, file);
    out.files[rel.startsWith('..') ? file : rel.split(path.sep).join('/')] = result;
    dirty ||= Boolean(result.parse_error || result.moddle_warnings.length || result.lint.length);
  }
  process.stdout.write(JSON.stringify(out, null, 2) + '\n');
  process.exitCode = dirty ? 1 : 0;
}

await main();
