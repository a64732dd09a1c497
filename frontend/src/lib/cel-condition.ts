/**
 * The condition builder's model of a CEL condition: rows of `field operator value`,
 * all joined with `&&` or all with `||`. Anything else (parentheses, mixed `&&`/`||`,
 * function calls, arithmetic…) is not representable and stays raw CEL.
 *
 * `parseCondition(serializeCondition(c))` gives `c` back for every condition the
 * builder can make; `serializeCondition(parseCondition(text))` gives `text` back in
 * its canonical spelling (single-quoted strings, one space around operators).
 */

export const COMPARISONS = ['==', '!=', '<', '<=', '>', '>='] as const;
export const STRING_METHODS = ['contains', 'startsWith', 'endsWith'] as const;
export type Operator = (typeof COMPARISONS)[number] | (typeof STRING_METHODS)[number];
export const OPERATORS: readonly Operator[] = [...COMPARISONS, ...STRING_METHODS];

export const OPERATOR_LABELS: Record<Operator, string> = {
  '==': 'equals',
  '!=': 'does not equal',
  '<': 'is less than',
  '<=': 'is at most',
  '>': 'is greater than',
  '>=': 'is at least',
  contains: 'contains',
  startsWith: 'starts with',
  endsWith: 'ends with',
};

/** What the value of a row is: a literal of a CEL type, or another field (`vars.limit`). */
export type ValueKind = 'string' | 'number' | 'boolean' | 'null' | 'field';
export type ConditionValue = { kind: ValueKind; text: string };
export type ConditionRow = { field: string; operator: Operator; value: ConditionValue };
export type Combinator = 'all' | 'any';
export type Condition = { combinator: Combinator; rows: ConditionRow[] };

const PATH = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;
const NUMBER = /^-?(\d+(\.\d+)?([eE][+-]?\d+)?|\.\d+)$/;
const RESERVED = new Set([
  'true',
  'false',
  'null',
  'in',
  'as',
  'break',
  'const',
  'continue',
  'else',
  'for',
  'function',
  'if',
  'import',
  'let',
  'loop',
  'package',
  'namespace',
  'return',
  'var',
  'void',
  'while',
]);

export function isFieldPath(text: string): boolean {
  return PATH.test(text) && !RESERVED.has(text.split('.')[0] ?? '');
}

export function isNumberLiteral(text: string): boolean {
  return NUMBER.test(text);
}

// ------------------------------------------------------------------ tokens

type Token =
  | { t: 'path'; v: string }
  | { t: 'string'; v: string }
  | { t: 'number'; v: string }
  | { t: 'op'; v: string }
  | { t: 'punct'; v: '(' | ')' };

function tokenize(text: string): Token[] | null {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (/\s/.test(c)) {
      i += 1;
      continue;
    }
    const rest = text.slice(i);
    const two = rest.slice(0, 2);
    if (['==', '!=', '<=', '>=', '&&', '||'].includes(two)) {
      tokens.push({ t: 'op', v: two });
      i += 2;
      continue;
    }
    if (c === '<' || c === '>') {
      tokens.push({ t: 'op', v: c });
      i += 1;
      continue;
    }
    if (c === '(' || c === ')') {
      tokens.push({ t: 'punct', v: c });
      i += 1;
      continue;
    }
    const number = /^-?(\d+(\.\d+)?([eE][+-]?\d+)?|\.\d+)/.exec(rest);
    if (number && (c !== '-' || tokens.at(-1)?.t === 'op')) {
      tokens.push({ t: 'number', v: number[0] });
      i += number[0].length;
      continue;
    }
    const path = /^[A-Za-z_][A-Za-z0-9_]*(\s*\.\s*[A-Za-z_][A-Za-z0-9_]*)*/.exec(rest);
    if (path) {
      tokens.push({ t: 'path', v: path[0].replace(/\s+/g, '') });
      i += path[0].length;
      continue;
    }
    if (c === "'" || c === '"') {
      let value = '';
      let j = i + 1;
      for (; j < text.length && text[j] !== c; j += 1) {
        if (text[j] === '\n') return null;
        if (text[j] === '\\') {
          const escaped = text[j + 1];
          const map: Record<string, string> = { '\\': '\\', "'": "'", '"': '"', n: '\n', t: '\t', r: '\r' };
          if (escaped === undefined || !(escaped in map)) return null;
          value += map[escaped];
          j += 1;
        } else {
          value += text[j];
        }
      }
      if (j >= text.length) return null;
      tokens.push({ t: 'string', v: value });
      i = j + 1;
      continue;
    }
    return null;
  }
  return tokens;
}

// ------------------------------------------------------------------ parse

function literal(token: Token | undefined): ConditionValue | null {
  if (!token) return null;
  if (token.t === 'string') return { kind: 'string', text: token.v };
  if (token.t === 'number') return { kind: 'number', text: token.v };
  if (token.t !== 'path') return null;
  if (token.v === 'true' || token.v === 'false') return { kind: 'boolean', text: token.v };
  if (token.v === 'null') return { kind: 'null', text: '' };
  return isFieldPath(token.v) ? { kind: 'field', text: token.v } : null;
}

function parseRow(tokens: Token[]): ConditionRow | null {
  const [first, second, third, fourth, ...rest] = tokens;
  if (first?.t !== 'path') return null;
  // field.contains('x')
  if (second?.t === 'punct' && second.v === '(') {
    const dot = first.v.lastIndexOf('.');
    const method = first.v.slice(dot + 1);
    const field = first.v.slice(0, dot);
    if (dot < 0 || !(STRING_METHODS as readonly string[]).includes(method) || !isFieldPath(field)) return null;
    if (third?.t !== 'string' || fourth?.t !== 'punct' || fourth.v !== ')' || rest.length > 0) return null;
    return { field, operator: method as Operator, value: { kind: 'string', text: third.v } };
  }
  if (!isFieldPath(first.v) || second?.t !== 'op' || !(COMPARISONS as readonly string[]).includes(second.v))
    return null;
  if (fourth !== undefined) return null;
  const value = literal(third);
  if (!value) return null;
  return { field: first.v, operator: second.v as Operator, value };
}

/** The builder's model of `text`, or null when the builder cannot show it (edit it as raw CEL). */
export function parseCondition(text: string): Condition | null {
  if (text.trim() === '') return { combinator: 'all', rows: [] };
  const tokens = tokenize(text);
  if (!tokens) return null;
  const joins = new Set(tokens.filter((t) => t.t === 'op' && (t.v === '&&' || t.v === '||')).map((t) => t.v));
  if (joins.size > 1) return null;
  const join = [...joins][0] ?? '&&';
  const rows: ConditionRow[] = [];
  let current: Token[] = [];
  for (const token of [...tokens, { t: 'op', v: join } as Token]) {
    if (token.t === 'op' && token.v === join) {
      const row = parseRow(current);
      if (!row) return null;
      rows.push(row);
      current = [];
    } else {
      current.push(token);
    }
  }
  return { combinator: join === '||' ? 'any' : 'all', rows };
}

// ------------------------------------------------------------------ serialize

export function quoteString(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n').replace(/\t/g, '\\t').replace(/\r/g, '\\r')}'`;
}

function valueText(value: ConditionValue): string | null {
  switch (value.kind) {
    case 'string':
      return quoteString(value.text);
    case 'number':
      return isNumberLiteral(value.text.trim()) ? value.text.trim() : null;
    case 'boolean':
      return value.text === 'false' ? 'false' : 'true';
    case 'null':
      return 'null';
    case 'field':
      return isFieldPath(value.text.trim()) ? value.text.trim() : null;
  }
}

/** Why the builder cannot write this row yet, or null when it can. */
export function rowProblem(row: ConditionRow): string | null {
  if (!isFieldPath(row.field.trim())) return 'Choose a field, such as record.status or inputs.amount.';
  const isMethod = (STRING_METHODS as readonly string[]).includes(row.operator);
  if (isMethod && row.value.kind !== 'string') return `“${OPERATOR_LABELS[row.operator]}” compares with text.`;
  if (valueText(row.value) === null)
    return row.value.kind === 'number' ? 'Enter a number.' : 'Enter a field, such as vars.limit.';
  return null;
}

function rowText(row: ConditionRow): string | null {
  const value = valueText(row.value);
  if (value === null || !isFieldPath(row.field.trim())) return null;
  const field = row.field.trim();
  if ((STRING_METHODS as readonly string[]).includes(row.operator)) {
    return row.value.kind === 'string' ? `${field}.${row.operator}(${value})` : null;
  }
  return `${field} ${row.operator} ${value}`;
}

/** CEL for the condition; rows that are not complete yet are left out. */
export function serializeCondition(condition: Condition): string {
  const parts = condition.rows.map(rowText).filter((t): t is string => t !== null);
  return parts.join(condition.combinator === 'any' ? ' || ' : ' && ');
}

export function emptyRow(field = ''): ConditionRow {
  return { field, operator: '==', value: { kind: 'string', text: '' } };
}

/**
 * The value a row should compare with once its field is chosen and its type is known:
 * a yes/no field compares with true/false, a number with a number, text (an enumerated
 * field too) with text. A value that already fits, another field, or null is kept
 * (a text outside an enumerated field's options too: the pick list shows it as such).
 */
export function fitValue(field: { type: string; options?: readonly string[] }, value: ConditionValue): ConditionValue {
  if (value.kind === 'field' || value.kind === 'null') return value;
  switch (field.type) {
    case 'boolean':
      return value.kind === 'boolean' ? value : { kind: 'boolean', text: 'true' };
    case 'number':
      return value.kind === 'number'
        ? value
        : { kind: 'number', text: isNumberLiteral(value.text.trim()) ? value.text.trim() : '' };
    case 'string':
      return value.kind === 'string' ? value : { kind: 'string', text: '' };
    default:
      return value;
  }
}
