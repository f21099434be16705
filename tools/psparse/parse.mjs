// Parses PowerShell files with the tree-sitter PowerShell grammar and prints,
// as JSON, what mdeproxyc's tests check: syntax errors (ERROR and MISSING
// nodes, with line:col), variable assignments, hashtable literals and commands
// with their arguments, string literals unquoted the way PowerShell does; and,
// for the device-behaviour checks, comments, whether the script has a param
// block, the try/catch guarding each command and method invocation, the
// foreach loops around each command, and the node types of each top-level
// statement.
//
// Usage: node --liftoff-only parse.mjs FILE...
// (--liftoff-only: otherwise V8 spends ~10 s optimising the grammar's wasm at exit.)
import { Parser, Language } from 'web-tree-sitter';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
await Parser.init();
const language = await Language.load(require.resolve('tree-sitter-powershell/tree-sitter-powershell.wasm'));
const parser = new Parser();
parser.setLanguage(language);

const singleQuotes = "'\u2018\u2019\u201a\u201b";

// unquoteVerbatim reads a single-quoted PowerShell string: two quote
// characters in a row stand for one.
function unquoteVerbatim(text) {
  const inner = [...text].slice(1, -1);
  let out = '';
  for (let i = 0; i < inner.length; i++) {
    out += inner[i];
    if (singleQuotes.includes(inner[i]) && i + 1 < inner.length && singleQuotes.includes(inner[i + 1])) i++;
  }
  return out;
}

function valueOf(n) {
  switch (n.type) {
    case 'string_literal': {
      const c = n.namedChildren[0];
      if (c && c.type === 'verbatim_string_characters') return { kind: 'string', value: unquoteVerbatim(c.text) };
      return { kind: 'expandable', value: n.text };
    }
    case 'integer_literal':
      return { kind: 'int', value: Number(n.text) };
    case 'variable':
      return { kind: 'variable', value: n.text };
    case 'array_expression': {
      const inner = n.namedChildren.filter((c) => c.type === 'statement_list');
      if (inner.length === 0) return { kind: 'array', value: [] };
      const v = valueOf(inner[0]);
      return { kind: 'array', value: v.kind === 'list' ? v.value : [v] };
    }
    case 'hash_literal_expression':
      return { kind: 'hash', value: hashOf(n) };
  }
  const named = n.namedChildren;
  if (n.type === 'array_literal_expression' && named.length > 1) return { kind: 'list', value: named.map(valueOf) };
  if (n.type === 'statement_list' && named.length > 1) return { kind: 'list', value: named.map(valueOf) };
  if (named.length === 1) return valueOf(named[0]);
  return { kind: 'other', value: n.text };
}

function hashOf(n) {
  const out = {};
  const body = n.namedChildren.find((c) => c.type === 'hash_literal_body');
  if (!body) return out;
  for (const e of body.namedChildren) {
    if (e.type !== 'hash_entry') continue;
    const key = e.namedChildren.find((c) => c.type === 'key_expression');
    const val = e.namedChildren.find((c) => c !== key);
    out[key.text] = val ? valueOf(val) : null;
  }
  return out;
}

// guardOf finds the nearest try statement whose body holds n and describes its
// catch clauses: the commands they run and their flow-control keywords.
function guardOf(n) {
  for (let c = n; c.parent; c = c.parent) {
    const p = c.parent;
    if (c.type === 'statement_block' && p.type === 'try_statement') {
      const catches = p.namedChildren.find((x) => x.type === 'catch_clauses');
      const out = { line: p.startPosition.row + 1, catchCommands: [], catchFlow: [] };
      if (!catches) return out;
      const walkCatch = (x) => {
        if (x.type === 'command') out.catchCommands.push(commandOf(x, false));
        if (x.type === 'flow_control_statement') out.catchFlow.push(x.children[0].type);
        for (const y of x.children) walkCatch(y);
      };
      walkCatch(catches);
      return out;
    }
  }
  return null;
}

// loopsOf lists the foreach statements around n, innermost first: the loop
// variable and the text of the collection it walks.
function loopsOf(n) {
  const out = [];
  for (let c = n; c.parent; c = c.parent) {
    const p = c.parent;
    if (p.type === 'foreach_statement' && c.type === 'statement_block') {
      const v = p.namedChildren.find((x) => x.type === 'variable');
      const coll = p.namedChildren.find((x) => x.type === 'pipeline');
      out.push({ variable: v ? v.text : '', collection: coll ? coll.text : '' });
    }
  }
  return out;
}

function commandOf(n, withGuard = true) {
  const nameNode = n.namedChildren.find((c) => c.type === 'command_name' || c.type === 'command_name_expr');
  const elements = n.namedChildren.find((c) => c.type === 'command_elements');
  const args = [];
  if (elements) {
    for (const c of elements.namedChildren) {
      if (c.type === 'command_argument_sep') continue;
      if (c.type === 'command_parameter') args.push({ kind: 'param', value: c.text });
      else if (c.type === 'generic_token') args.push({ kind: 'token', value: c.text });
      else args.push(valueOf(c));
    }
  }
  const c = { name: nameNode ? nameNode.text : '', line: n.startPosition.row + 1, args };
  if (withGuard) {
    c.guard = guardOf(n);
    c.loops = loopsOf(n);
  }
  return c;
}

function typesUnder(n, set) {
  set.add(n.type);
  for (const c of n.children) typesUnder(c, set);
  return set;
}

const results = [];
for (const file of process.argv.slice(2)) {
  const tree = parser.parse(readFileSync(file, 'utf8'));
  const r = { file, errors: [], assignments: [], hashtables: [], commands: [], invocations: [], exits: [], comments: [], paramBlock: false, topStatements: [] };
  const walk = (n) => {
    if (n.isError || n.isMissing) {
      r.errors.push({ line: n.startPosition.row + 1, col: n.startPosition.column + 1, type: n.isMissing ? 'MISSING' : 'ERROR', text: n.text.slice(0, 80) });
    }
    if (n.type === 'assignment_expression') {
      const left = n.namedChildren[0];
      const right = n.namedChildren[n.namedChildren.length - 1];
      r.assignments.push({ variable: left.text, line: n.startPosition.row + 1, value: valueOf(right) });
    }
    if (n.type === 'hash_literal_expression') r.hashtables.push(hashOf(n));
    if (n.type === 'command') r.commands.push(commandOf(n));
    if (n.type === 'invokation_expression') {
      const member = n.namedChildren.find((c) => c.type === 'member_name');
      r.invocations.push({ target: n.namedChildren[0].text, member: member ? member.text : '', line: n.startPosition.row + 1, guard: guardOf(n) });
    }
    if (n.type === 'flow_control_statement' && n.children[0].type === 'exit') {
      r.exits.push({ line: n.startPosition.row + 1, value: n.namedChildren.length > 0 ? n.namedChildren[n.namedChildren.length - 1].text : '' });
    }
    if (n.type === 'comment') r.comments.push({ line: n.startPosition.row + 1, text: n.text });
    for (const c of n.children) walk(c);
  };
  walk(tree.rootNode);
  for (const c of tree.rootNode.namedChildren) {
    if (c.type === 'param_block') r.paramBlock = true;
    if (c.type !== 'statement_list') continue;
    for (const st of c.namedChildren) {
      r.topStatements.push({ line: st.startPosition.row + 1, endLine: st.endPosition.row + 1, types: [...typesUnder(st, new Set())].sort() });
    }
  }
  if (tree.rootNode.text.trim() === '') r.errors.push({ line: 1, col: 1, type: 'ERROR', text: 'empty file' });
  results.push(r);
}
process.stdout.write(JSON.stringify(results));
