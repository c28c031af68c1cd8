/**
 * The text of a PDF that Chromium printed (Skia's PDF writer), for the evidence page test: no PDF
 * library is among the dependencies, and Skia writes a small, regular subset of PDF. Reads each
 * page's content streams (Flate-compressed), follows the font in force (`/Fn size Tf`) and maps
 * each shown glyph through that font's ToUnicode CMap (PDF 32000-1 9.10.3): `<hex> Tj` and the
 * hex strings of `[...] TJ`. A text object (BT ... ET) and a `Td`/`Tm`/`T*` move end a run with a
 * line break. Anything it does not understand (a literal string shown, a font without ToUnicode,
 * an object stream) throws: it never guesses.
 */
import { inflateSync } from 'node:zlib';

interface PdfObject {
  dict: string;
  stream?: Buffer;
}

function objects(pdf: Buffer): Map<number, PdfObject> {
  const text = pdf.toString('latin1');
  const out = new Map<number, PdfObject>();
  const re = /(\d+) 0 obj\s*([\s\S]*?)endobj/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const body = m[2]!;
    const s = /stream\r?\n/.exec(body);
    if (!s) {
      out.set(Number(m[1]), { dict: body });
      continue;
    }
    const dict = body.slice(0, s.index);
    const start = m.index + m[0].indexOf(body) + s.index + s[0].length;
    const length = /\/Length (\d+)/.exec(dict);
    if (!length) throw new Error(`object ${m[1]}: a stream without a direct /Length`);
    let bytes = pdf.subarray(start, start + Number(length[1]));
    if (/\/Filter \/FlateDecode/.test(dict)) bytes = inflateSync(bytes);
    else if (/\/Filter/.test(dict)) throw new Error(`object ${m[1]}: a filter other than FlateDecode`);
    out.set(Number(m[1]), { dict, stream: bytes });
  }
  if ([...out.values()].some((o) => /\/Type \/ObjStm/.test(o.dict)))
    throw new Error('the PDF has object streams, which this reader does not follow');
  return out;
}

/** A dictionary value that may be given inline (`<<...>>`) or by reference (`N 0 R`). */
function resolveDict(objs: Map<number, PdfObject>, value: string): string {
  const ref = /^\s*(\d+) 0 R/.exec(value);
  return ref ? (objs.get(Number(ref[1]))?.dict ?? '') : value;
}

/** The `<<...>>` that follows `key` in `dict`, balanced, or a reference's target. */
function entry(objs: Map<number, PdfObject>, dict: string, key: string): string | undefined {
  const at = dict.indexOf(`${key} `) >= 0 ? dict.indexOf(`${key} `) : dict.indexOf(`${key}<<`);
  if (at < 0) return undefined;
  const rest = dict.slice(at + key.length).trimStart();
  if (!rest.startsWith('<<')) return resolveDict(objs, rest);
  let depth = 0;
  for (let i = 0; i < rest.length - 1; i++) {
    if (rest.startsWith('<<', i)) {
      depth++;
      i++;
    } else if (rest.startsWith('>>', i)) {
      depth--;
      i++;
      if (depth === 0) return rest.slice(0, i + 1);
    }
  }
  throw new Error(`an unbalanced dictionary after ${key}`);
}

function utf16(hex: string): string {
  let s = '';
  for (let i = 0; i + 4 <= hex.length; i += 4)
    s += String.fromCharCode(Number.parseInt(hex.slice(i, i + 4), 16));
  return s;
}

/** A ToUnicode CMap as code (hex, as shown) -> text. */
function toUnicode(cmap: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const block of cmap.matchAll(/beginbfchar([\s\S]*?)endbfchar/g))
    for (const m of block[1]!.matchAll(/<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>/g))
      map.set(m[1]!.toUpperCase(), utf16(m[2]!));
  for (const block of cmap.matchAll(/beginbfrange([\s\S]*?)endbfrange/g))
    for (const m of block[1]!.matchAll(
      /<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*(<[0-9A-Fa-f]+>|\[[^\]]*\])/g,
    )) {
      const lo = Number.parseInt(m[1]!, 16);
      const hi = Number.parseInt(m[2]!, 16);
      const width = m[1]!.length;
      const targets = m[3]!.startsWith('[')
        ? [...m[3]!.matchAll(/<([0-9A-Fa-f]+)>/g)].map((t) => t[1]!)
        : null;
      for (let c = lo; c <= hi; c++) {
        const code = c.toString(16).toUpperCase().padStart(width, '0');
        if (targets) map.set(code, utf16(targets[c - lo]!));
        else {
          const base = m[3]!.slice(1, -1);
          const last = Number.parseInt(base.slice(-4), 16) + (c - lo);
          map.set(code, utf16(base.slice(0, -4) + last.toString(16).padStart(4, '0')));
        }
      }
    }
  return map;
}

/** The fonts a page's resources name: `/F4` -> code -> text. */
function pageFonts(objs: Map<number, PdfObject>, page: string): Map<string, Map<string, string>> {
  const fonts = new Map<string, Map<string, string>>();
  const resources = entry(objs, page, '/Resources');
  const fontDict = resources && entry(objs, resources, '/Font');
  if (!fontDict) return fonts;
  for (const m of fontDict.matchAll(/\/([\w.+-]+)\s+(\d+) 0 R/g)) {
    const font = objs.get(Number(m[2]))?.dict ?? '';
    const ref = /\/ToUnicode (\d+) 0 R/.exec(font);
    if (!ref) throw new Error(`font /${m[1]} has no ToUnicode map`);
    fonts.set(m[1]!, toUnicode(objs.get(Number(ref[1]))!.stream!.toString('latin1')));
  }
  return fonts;
}

function show(hex: string, font: Map<string, string> | undefined, name: string): string {
  if (!font) throw new Error(`text shown in /${name}, a font the page does not name`);
  const clean = hex.replace(/\s+/g, '').toUpperCase();
  const width = [...font.keys()][0]?.length ?? 4;
  let s = '';
  for (let i = 0; i < clean.length; i += width) {
    const t = font.get(clean.slice(i, i + width));
    if (t === undefined) throw new Error(`glyph <${clean.slice(i, i + width)}> of /${name} has no Unicode`);
    s += t;
  }
  return s;
}

/** The page objects in document order: the catalog's page tree, depth first. */
function pageOrder(objs: Map<number, PdfObject>): PdfObject[] {
  const catalog = [...objs.values()].find((o) => /\/Type \/Catalog\b/.test(o.dict));
  const root = catalog && /\/Pages (\d+) 0 R/.exec(catalog.dict);
  if (!root) throw new Error('the PDF has no catalog with a page tree');
  const out: PdfObject[] = [];
  const walk = (n: number) => {
    const node = objs.get(n);
    if (!node) throw new Error(`page tree node ${n} is missing`);
    if (/\/Type \/Pages\b/.test(node.dict)) {
      const kids = /\/Kids\s*\[([^\]]*)\]/.exec(node.dict)?.[1] ?? '';
      for (const k of kids.matchAll(/(\d+) 0 R/g)) walk(Number(k[1]));
    } else out.push(node);
  };
  walk(Number(root[1]));
  return out;
}

/** The text of every page of a PDF printed by Chromium, page by page in order. */
export function pdfText(pdf: Buffer): string[] {
  const objs = objects(pdf);
  const pages: string[] = [];
  for (const o of pageOrder(objs)) {
    const fonts = pageFonts(objs, o.dict);
    const contents = /\/Contents\s+(\[[^\]]*\]|\d+ 0 R)/.exec(o.dict)?.[1] ?? '';
    let out = '';
    for (const ref of contents.matchAll(/(\d+) 0 R/g)) {
      const ops = objs.get(Number(ref[1]))!.stream!.toString('latin1');
      let current = '';
      const tokens =
        /\/([\w.+-]+)\s+[\d.]+\s+Tf|<([0-9A-Fa-f\s]*)>\s*Tj|\[((?:[^\]]|\\\])*)\]\s*TJ|\((?:[^)\\]|\\.)*\)\s*(?:Tj|'|")|\b(BT|ET|Td|TD|Tm|T\*)\b/g;
      for (let m = tokens.exec(ops); m; m = tokens.exec(ops)) {
        if (m[1]) current = m[1];
        else if (m[2] !== undefined) out += show(m[2], fonts.get(current), current);
        else if (m[3] !== undefined) {
          if (/\((?:[^)\\]|\\.)*\)/.test(m[3]))
            throw new Error('a TJ with a literal string: not written by Skia');
          for (const h of m[3].matchAll(/<([0-9A-Fa-f\s]*)>/g))
            out += show(h[1]!, fonts.get(current), current);
        } else if (m[4]) {
          if (m[4] === 'ET' || m[4] === 'BT') out += '\n';
        } else throw new Error(`a literal string shown (${m[0].slice(0, 40)}): not written by Skia`);
      }
    }
    pages.push(out);
  }
  return pages;
}
