/**
 * A small, safe XML reader for scanner reports: one pass over the text, no DTD (a document with
 * `<!DOCTYPE` or `<!ENTITY` is refused, so nothing is ever expanded or fetched), only the five
 * predefined entities and numeric character references, a bounded nesting depth, and element trees
 * built only for the elements the caller captures (a report's results, one at a time), so a large
 * report never becomes one large tree.
 */

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: (XmlElement | string)[];
  /** 1-based line of the start tag. */
  line: number;
}

export class XmlError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`line ${line}: ${message}`);
  }
}

export interface XmlReadOptions {
  /** Whether to build the element at `path` (its ancestors' names, then its own) and hand it over. */
  capture(path: readonly string[]): boolean;
  onElement(el: XmlElement, path: readonly string[]): void;
  /** Deepest nesting accepted (default 64). */
  maxDepth?: number;
}

const NAME = /^[A-Za-z_:][A-Za-z0-9_:.-]*$/;
const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Replaces entity and character references; throws on anything else. */
export function decodeEntities(s: string, line: number): string {
  if (!s.includes('&')) return s;
  return s.replace(/&([^;&\s]{0,12});?/g, (m, ref: string) => {
    if (!m.endsWith(';')) throw new XmlError(`"&" must start a reference such as &amp;`, line);
    const pre = PREDEFINED[ref];
    if (pre !== undefined) return pre;
    const num = /^#(?:x([0-9A-Fa-f]{1,6})|([0-9]{1,7}))$/.exec(ref);
    if (num) {
      const code = num[1] !== undefined ? parseInt(num[1], 16) : Number(num[2]);
      if (code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) {
        throw new XmlError(`character reference &${ref}; is not a valid character`, line);
      }
      return String.fromCodePoint(code);
    }
    throw new XmlError(`unknown entity &${ref}; (only the predefined entities are accepted)`, line);
  });
}

/** Reads `text`, handing each captured element to `onElement`; throws XmlError for malformed XML. */
export function readXml(text: string, opts: XmlReadOptions): void {
  const maxDepth = opts.maxDepth ?? 64;
  const path: string[] = [];
  /** Elements being built (the captured one at the bottom), parallel to the end of `path`. */
  const building: XmlElement[] = [];
  let captureDepth = -1;
  let line = 1;
  let i = 0;
  let rootSeen = false;
  let rootClosed = false;
  const n = text.length;
  const advanceLines = (from: number, to: number) => {
    for (let k = from; k < to; k++) if (text.charCodeAt(k) === 10) line++;
  };
  const addText = (s: string) => {
    const top = building[building.length - 1];
    if (top) top.children.push(s);
    else if (s.trim() && (!rootSeen || rootClosed)) throw new XmlError('text outside the root element', line);
  };
  if (text.charCodeAt(0) === 0xfeff) i = 1;
  while (i < n) {
    const lt = text.indexOf('<', i);
    const end = lt < 0 ? n : lt;
    if (end > i) {
      const raw = text.slice(i, end);
      if (building.length) addText(decodeEntities(raw, line));
      else if (raw.trim()) {
        if (!rootSeen || rootClosed || path.length === 0)
          throw new XmlError('text outside the root element', line);
        decodeEntities(raw, line);
      }
      advanceLines(i, end);
    }
    if (lt < 0) break;
    i = lt;
    if (text.startsWith('<!--', i)) {
      const close = text.indexOf('-->', i + 4);
      if (close < 0) throw new XmlError('comment is not closed', line);
      advanceLines(i, close);
      i = close + 3;
      continue;
    }
    if (text.startsWith('<![CDATA[', i)) {
      const close = text.indexOf(']]>', i + 9);
      if (close < 0) throw new XmlError('CDATA section is not closed', line);
      if (path.length === 0) throw new XmlError('CDATA outside the root element', line);
      if (building.length) addText(text.slice(i + 9, close));
      advanceLines(i, close);
      i = close + 3;
      continue;
    }
    if (text.startsWith('<!', i)) {
      throw new XmlError('document type declarations and entity definitions are not accepted', line);
    }
    if (text.startsWith('<?', i)) {
      const close = text.indexOf('?>', i + 2);
      if (close < 0) throw new XmlError('processing instruction is not closed', line);
      advanceLines(i, close);
      i = close + 2;
      continue;
    }
    const gt = findTagEnd(text, i + 1);
    if (gt < 0) throw new XmlError('tag is not closed', line);
    const tag = text.slice(i + 1, gt);
    const tagLine = line;
    advanceLines(i, gt);
    i = gt + 1;
    if (tag.startsWith('/')) {
      const name = tag.slice(1).trim();
      const open = path[path.length - 1];
      if (open === undefined) throw new XmlError(`end tag </${name}> without a start tag`, tagLine);
      if (name !== open) throw new XmlError(`end tag </${name}> does not match <${open}>`, tagLine);
      closeElement();
      continue;
    }
    const selfClosing = tag.endsWith('/');
    const body = selfClosing ? tag.slice(0, -1) : tag;
    const m = /^([^\s/>]+)/.exec(body);
    const name = m?.[1] ?? '';
    if (!NAME.test(name)) throw new XmlError(`"<${name.slice(0, 40)}" is not a valid element name`, tagLine);
    if (path.length === 0) {
      if (rootSeen) throw new XmlError('a second root element', tagLine);
      rootSeen = true;
    }
    if (path.length >= maxDepth) throw new XmlError(`elements nested deeper than ${maxDepth}`, tagLine);
    const attrs = parseAttributes(body.slice(name.length), tagLine);
    path.push(name);
    if (captureDepth < 0 && opts.capture(path)) captureDepth = path.length;
    if (captureDepth >= 0) {
      const el: XmlElement = { name, attrs, children: [], line: tagLine };
      building[building.length - 1]?.children.push(el);
      building.push(el);
    }
    if (selfClosing) closeElement();
  }
  if (path.length) throw new XmlError(`the document ends inside <${path[path.length - 1]}>`, line);
  if (!rootSeen) throw new XmlError('no root element', line);

  function closeElement(): void {
    if (captureDepth >= 0) {
      const el = building.pop()!;
      if (path.length === captureDepth) {
        captureDepth = -1;
        opts.onElement(el, [...path]);
      }
    }
    path.pop();
    if (path.length === 0) rootClosed = true;
  }
}

/** The index of the `>` closing the tag that starts at `from`, skipping quoted attribute values. */
function findTagEnd(text: string, from: number): number {
  let quote = 0;
  for (let k = from; k < text.length; k++) {
    const c = text.charCodeAt(k);
    if (quote) {
      if (c === quote) quote = 0;
    } else if (c === 34 || c === 39) quote = c;
    else if (c === 62) return k;
    else if (c === 60) return -1;
  }
  return -1;
}

function parseAttributes(s: string, line: number): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /\s*([^\s=]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/y;
  let k = 0;
  while (k < s.length) {
    if (!s.slice(k).trim()) break;
    re.lastIndex = k;
    const m = re.exec(s);
    if (!m) throw new XmlError(`malformed attributes "${s.slice(k, k + 40).trim()}"`, line);
    const name = m[1]!;
    if (!NAME.test(name)) throw new XmlError(`"${name.slice(0, 40)}" is not a valid attribute name`, line);
    if (name in out) throw new XmlError(`attribute "${name}" is given twice`, line);
    out[name] = decodeEntities(m[2] ?? m[3] ?? '', line);
    k = re.lastIndex;
  }
  return out;
}

/** The element's text content (its own text and its descendants'), trimmed. */
export function textOf(el: XmlElement | undefined): string {
  if (!el) return '';
  let s = '';
  const walk = (e: XmlElement) => {
    for (const c of e.children) s += typeof c === 'string' ? c : (walk(c), '');
  };
  walk(el);
  return s.trim();
}

/** The element's own text (not its children's), trimmed: `<host>10.0.0.1<hostname>x</hostname></host>` → 10.0.0.1. */
export function ownText(el: XmlElement | undefined): string {
  if (!el) return '';
  return el.children
    .filter((c): c is string => typeof c === 'string')
    .join('')
    .trim();
}

/** The first child element named `name`. */
export function child(el: XmlElement | undefined, name: string): XmlElement | undefined {
  if (!el) return undefined;
  for (const c of el.children) if (typeof c !== 'string' && c.name === name) return c;
  return undefined;
}

export function children(el: XmlElement | undefined, name: string): XmlElement[] {
  if (!el) return [];
  return el.children.filter((c): c is XmlElement => typeof c !== 'string' && c.name === name);
}
