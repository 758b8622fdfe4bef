/**
 * Reads the console's sources for the catalogue check (`catalogue.test.ts`): every `msg()` call
 * with its id, kind and English text, and every place that renders a user-visible literal outside
 * the catalogue. Used by tests only; the console bundle never imports it.
 */
import ts from 'typescript';

export type MessageKind = 'string' | 'str' | 'html';

export interface MessageUse {
  id: string;
  kind: MessageKind;
  /** The English text, expressions written `${0}`, `${1}` … */
  source: string;
  placeholders: number;
  file: string;
  line: number;
}

export interface SourceProblem {
  file: string;
  line: number;
  message: string;
}

export const idPattern = /^[a-z][a-zA-Z0-9]*(\.[a-zA-Z0-9_-]+)+$/;

/** Attributes whose text a user reads or hears. */
const visibleAttributes = new Set([
  'title',
  'aria-label',
  'aria-description',
  'aria-placeholder',
  'aria-roledescription',
  'aria-valuetext',
  'placeholder',
  'alt',
  'label',
  'heading',
  'summary',
]);

/** Object keys whose string values are shown to users (column labels, dialog texts, …). */
const visibleKeys = new Set([
  'label',
  'heading',
  'title',
  'subtitle',
  'description',
  'placeholder',
  'hint',
  'caption',
  'tooltip',
  'emptyText',
  'empty',
  'text',
  'summary',
  'confirmLabel',
  'cancelLabel',
  'okLabel',
  'ariaLabel',
]);

const letters = /[A-Za-z\u3400-\u9fff]/;

/** Whether a piece of markup text carries words (entities and punctuation do not count). */
export function hasWords(text: string): boolean {
  return letters.test(text.replace(/&(#\d+|#x[0-9a-f]+|[a-z]+);/gi, ''));
}

const isFunctionLike = (node: ts.Node): boolean =>
  ts.isFunctionDeclaration(node) ||
  ts.isFunctionExpression(node) ||
  ts.isArrowFunction(node) ||
  ts.isMethodDeclaration(node) ||
  ts.isGetAccessorDeclaration(node) ||
  ts.isSetAccessorDeclaration(node) ||
  ts.isConstructorDeclaration(node);

/** Whether code at `node` runs only when a function is called (not at module load or construction). */
function runsInFunction(node: ts.Node): boolean {
  for (let at: ts.Node | undefined = node.parent; at; at = at.parent) {
    if (isFunctionLike(at)) return true;
    if (ts.isPropertyDeclaration(at) || ts.isSourceFile(at)) return false;
  }
  return false;
}

const tagName = (node: ts.TaggedTemplateExpression): string =>
  ts.isIdentifier(node.tag) ? node.tag.text : node.tag.getText();

function templateParts(template: ts.TemplateLiteral): { strings: string[]; expressions: ts.Expression[] } {
  if (ts.isNoSubstitutionTemplateLiteral(template)) return { strings: [template.text], expressions: [] };
  return {
    strings: [template.head.text, ...template.templateSpans.map((s) => s.literal.text)],
    expressions: template.templateSpans.map((s) => s.expression),
  };
}

/** String literals an expression may evaluate to directly (`a ? 'x' : 'y'`, `v ?? 'none'`). */
function literalTexts(expr: ts.Expression): string[] {
  if (ts.isStringLiteral(expr) || ts.isNoSubstitutionTemplateLiteral(expr)) return [expr.text];
  if (ts.isParenthesizedExpression(expr)) return literalTexts(expr.expression);
  if (ts.isConditionalExpression(expr))
    return [...literalTexts(expr.whenTrue), ...literalTexts(expr.whenFalse)];
  if (ts.isBinaryExpression(expr)) {
    const op = expr.operatorToken.kind;
    if (op === ts.SyntaxKind.QuestionQuestionToken || op === ts.SyntaxKind.BarBarToken)
      return [...literalTexts(expr.left), ...literalTexts(expr.right)];
    if (op === ts.SyntaxKind.AmpersandAmpersandToken) return literalTexts(expr.right);
    if (op === ts.SyntaxKind.PlusToken) return [...literalTexts(expr.left), ...literalTexts(expr.right)];
  }
  if (ts.isTemplateExpression(expr)) return templateParts(expr).strings;
  return [];
}

type Position = { kind: 'text' } | { kind: 'attribute'; name: string } | { kind: 'other' };

/**
 * Walks the static parts of an `html`/`svg` template as markup, calling `onText` for text with its
 * line offset and recording, for each expression, whether it sits in text or in which attribute.
 */
function readMarkup(
  strings: string[],
  onText: (text: string, part: number) => void,
  onAttribute: (name: string, value: string, part: number) => void,
): Position[] {
  type State =
    | 'text'
    | 'tagName'
    | 'tag'
    | 'attrName'
    | 'afterName'
    | 'beforeValue'
    | 'dq'
    | 'sq'
    | 'uq'
    | 'comment'
    | 'raw';
  let state: State = 'text';
  let text = '';
  let attrName = '';
  let value = '';
  let tag = '';
  let rawEnd = '';
  const positions: Position[] = [];
  strings.forEach((chunk, part) => {
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i] ?? '';
      switch (state) {
        case 'text':
          if (c === '<') {
            onText(text, part);
            text = '';
            if (chunk.startsWith('<!--', i)) {
              state = 'comment';
              i += 3;
            } else {
              state = 'tagName';
              tag = '';
            }
          } else text += c;
          break;
        case 'comment':
          if (chunk.startsWith('-->', i)) {
            state = 'text';
            i += 2;
          }
          break;
        case 'raw':
          if (chunk.toLowerCase().startsWith(rawEnd, i)) {
            state = 'tag';
            i += rawEnd.length - 1;
          }
          break;
        case 'tagName':
          if (/\s/.test(c)) state = 'tag';
          else if (c === '>') state = enterContent(tag);
          else tag += c;
          break;
        case 'tag':
          if (c === '>') state = enterContent(tag);
          else if (!/[\s/]/.test(c)) {
            state = 'attrName';
            attrName = c;
          }
          break;
        case 'attrName':
          if (c === '=') state = 'beforeValue';
          else if (/\s/.test(c)) state = 'afterName';
          else if (c === '>') state = enterContent(tag);
          else attrName += c;
          break;
        case 'afterName':
          if (c === '=') state = 'beforeValue';
          else if (c === '>') state = enterContent(tag);
          else if (!/\s/.test(c)) {
            state = 'attrName';
            attrName = c;
          }
          break;
        case 'beforeValue':
          value = '';
          if (c === '"') state = 'dq';
          else if (c === "'") state = 'sq';
          else if (!/\s/.test(c)) {
            state = 'uq';
            value = c;
          }
          break;
        case 'dq':
        case 'sq':
          if (c === (state === 'dq' ? '"' : "'")) {
            onAttribute(attrName, value, part);
            state = 'tag';
          } else value += c;
          break;
        case 'uq':
          if (/\s/.test(c) || c === '>') {
            onAttribute(attrName, value, part);
            state = c === '>' ? enterContent(tag) : 'tag';
          } else value += c;
          break;
      }
    }
    if (part < strings.length - 1) {
      // An expression follows this chunk.
      if (state === 'text') {
        onText(text, part);
        text = '';
        positions.push({ kind: 'text' });
      } else if (state === 'dq' || state === 'sq' || state === 'uq' || state === 'beforeValue') {
        positions.push({ kind: 'attribute', name: attrName });
        if (state === 'beforeValue') state = 'tag';
      } else positions.push({ kind: 'other' });
    } else if (state === 'text') onText(text, part);
  });
  return positions;

  function enterContent(name: string): 'text' | 'raw' {
    const lower = name.toLowerCase();
    if (lower === 'style' || lower === 'script') {
      rawEnd = `</${lower}`;
      return 'raw';
    }
    return 'text';
  }
}

/** Strips Lit's binding prefixes: `.heading` and `?hidden` name the attribute `heading`, `hidden`. */
const attributeName = (name: string): string => name.replace(/^[.?@]/, '').toLowerCase();

/** Scans one source file. */
export function scanSource(file: string, text: string): { uses: MessageUse[]; problems: SourceProblem[] } {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const lines = text.split('\n');
  const uses: MessageUse[] = [];
  const problems: SourceProblem[] = [];
  const lineOf = (node: ts.Node): number => sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
  const ignored = (line: number): boolean =>
    /i18n-ignore/.test(lines[line - 1] ?? '') || /i18n-ignore/.test(lines[line - 2] ?? '');
  const problem = (line: number, message: string): void => {
    if (!ignored(line)) problems.push({ file, line, message });
  };
  const msgTemplates = new Set<ts.Node>();

  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'msg') {
      readMessage(node);
    }
    if (ts.isClassDeclaration(node)) checkLocalized(node);
    if (ts.isTaggedTemplateExpression(node) && !msgTemplates.has(node)) {
      const tag = tagName(node);
      if (tag === 'html' || tag === 'svg') checkTemplate(node);
    }
    if (ts.isPropertyAssignment(node) && ts.isObjectLiteralExpression(node.parent)) {
      const key = ts.isIdentifier(node.name) || ts.isStringLiteral(node.name) ? node.name.text : '';
      if (visibleKeys.has(key)) {
        for (const literal of literalTexts(node.initializer))
          if (hasWords(literal))
            problem(lineOf(node), `"${key}: '${literal}'" is a visible text outside msg()`);
      }
    }
    ts.forEachChild(node, visit);
  };

  function readMessage(call: ts.CallExpression): void {
    const line = lineOf(call);
    const [first, options] = call.arguments;
    let kind: MessageKind | undefined;
    let source = '';
    let placeholders = 0;
    if (first && (ts.isStringLiteral(first) || ts.isNoSubstitutionTemplateLiteral(first))) {
      kind = 'string';
      source = first.text;
    } else if (first && ts.isTaggedTemplateExpression(first)) {
      const tag = tagName(first);
      if (tag === 'str' || tag === 'html') {
        msgTemplates.add(first);
        kind = tag;
        const { strings } = templateParts(first.template);
        placeholders = strings.length - 1;
        source = strings.map((s, i) => (i === 0 ? s : `\${${i - 1}}${s}`)).join('');
      }
    }
    if (!kind) {
      problem(line, 'msg() takes a string literal or a str`…`/html`…` template');
      return;
    }
    let id: string | undefined;
    if (options && ts.isObjectLiteralExpression(options)) {
      for (const p of options.properties)
        if (
          ts.isPropertyAssignment(p) &&
          ts.isIdentifier(p.name) &&
          p.name.text === 'id' &&
          ts.isStringLiteral(p.initializer)
        )
          id = p.initializer.text;
    }
    if (id === undefined) {
      problem(line, `msg(${JSON.stringify(source)}) has no literal id`);
      return;
    }
    if (!idPattern.test(id)) problem(line, `message id "${id}" is not dotted lowerCamel (area.thing)`);
    if (!runsInFunction(call))
      problem(line, `msg() for "${id}" runs at module load or in a field initialiser; call it in a function`);
    uses.push({ id, kind, source, placeholders, file, line });
  }

  function checkLocalized(node: ts.ClassDeclaration): void {
    const decorators = ts.canHaveDecorators(node) ? (ts.getDecorators(node) ?? []) : [];
    const names = decorators.map((d) =>
      ts.isCallExpression(d.expression) ? d.expression.expression.getText(sf) : d.expression.getText(sf),
    );
    if (names.includes('customElement') && !names.includes('localized'))
      problem(lineOf(node), `element class ${node.name?.text ?? ''} lacks @localized()`);
  }

  function checkTemplate(node: ts.TaggedTemplateExpression): void {
    const { strings, expressions } = templateParts(node.template);
    const startLine = lineOf(node);
    const partLine = (part: number): number => {
      const literal =
        part === 0 || ts.isNoSubstitutionTemplateLiteral(node.template)
          ? node.template
          : (node.template as ts.TemplateExpression).templateSpans[part - 1]?.literal;
      return literal ? lineOf(literal) : startLine;
    };
    const positions = readMarkup(
      strings,
      (chunk, part) => {
        if (hasWords(chunk)) problem(partLine(part), `text "${chunk.trim()}" rendered outside msg()`);
      },
      (name, value, part) => {
        if (visibleAttributes.has(attributeName(name)) && hasWords(value))
          problem(partLine(part), `attribute ${name}="${value}" rendered outside msg()`);
      },
    );
    expressions.forEach((expr, i) => {
      const at = positions[i];
      const visible =
        at?.kind === 'text' || (at?.kind === 'attribute' && visibleAttributes.has(attributeName(at.name)));
      if (!visible) return;
      for (const literal of literalTexts(expr))
        if (hasWords(literal)) problem(lineOf(expr), `literal "${literal}" rendered outside msg()`);
    });
  }

  visit(sf);
  return { uses, problems };
}
