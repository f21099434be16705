// Prints, as JSON, the tree-sitter PowerShell parse tree of each file, for
// checks that follow PowerShell's own rules over the whole tree (which
// statements write to the output stream, which function results are used as
// values). Chains of single-child expression wrappers (logical_expression ...
// unary_expression) are folded into their child, and whitespace tokens are
// dropped, so the tree stays small; every other node keeps its type, its line
// and, for leaves, its text.
//
// Usage: node --liftoff-only tree.mjs FILE...
import { Parser, Language } from 'web-tree-sitter';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
await Parser.init();
const language = await Language.load(require.resolve('tree-sitter-powershell/tree-sitter-powershell.wasm'));
const parser = new Parser();
parser.setLanguage(language);

const wrappers = new Set([
  'logical_expression', 'bitwise_expression', 'comparison_expression', 'additive_expression',
  'multiplicative_expression', 'format_expression', 'range_expression', 'array_literal_expression',
  'unary_expression', 'argument_expression', 'logical_argument_expression', 'bitwise_argument_expression',
  'comparison_argument_expression', 'additive_argument_expression', 'multiplicative_argument_expression',
  'format_argument_expression', 'range_argument_expression', 'pipeline_chain',
]);

function compact(n) {
  const kids = n.children.filter((c) => c.type !== 'command_argument_sep' && (c.childCount > 0 || c.text.trim() !== ''));
  if (wrappers.has(n.type) && kids.length === 1) return compact(kids[0]);
  const out = { t: n.type, l: n.startPosition.row + 1 };
  if (n.isError || n.isMissing) out.e = true;
  if (kids.length === 0) out.x = n.text;
  else out.c = kids.map(compact);
  return out;
}

const results = [];
for (const file of process.argv.slice(2)) {
  results.push(compact(parser.parse(readFileSync(file, 'utf8')).rootNode));
}
process.stdout.write(JSON.stringify(results));
