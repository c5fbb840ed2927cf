/**
 * A deliberately small, strict CEF reader for tests: it undoes exactly the escapes the spec defines
 * and fails on anything else, so a formatter bug cannot hide behind a forgiving parser.
 */
export interface ParsedCef {
  version: string;
  vendor: string;
  product: string;
  deviceVersion: string;
  signatureId: string;
  name: string;
  severity: string;
  ext: Record<string, string>;
}

/** Splits the 7 header fields on unescaped `|`, unescaping `\|` and `\\`. */
export function parseCef(line: string): ParsedCef {
  if (!line.startsWith('CEF:')) throw new Error(`not CEF: ${line}`);
  const fields: string[] = [];
  let cur = '';
  let i = 4;
  for (; i < line.length && fields.length < 7; i++) {
    const c = line[i];
    if (c === '\\') {
      const n = line[i + 1];
      if (n !== '|' && n !== '\\') throw new Error(`bad header escape \\${n ?? ''} at ${i}`);
      cur += n;
      i++;
    } else if (c === '|') {
      fields.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  if (fields.length !== 7) throw new Error('truncated CEF header');
  const [version, vendor, product, deviceVersion, signatureId, name, severity] = fields as [string, string, string, string, string, string, string];
  return { version, vendor, product, deviceVersion, signatureId, name, severity, ext: parseExtension(line.slice(i)) };
}

/**
 * `key=value key=value…`: a value runs until the space before the next unescaped `key=`; `\=`, `\\`,
 * `\n`, `\r` are unescaped. An unescaped `=` inside a value is an error here (the formatter must escape it).
 */
export function parseExtension(ext: string): Record<string, string> {
  const out: Record<string, string> = {};
  // Positions of unescaped '='.
  const eqs: number[] = [];
  for (let i = 0; i < ext.length; i++) {
    if (ext[i] === '\\') i++;
    else if (ext[i] === '=') eqs.push(i);
  }
  let keyStart = 0;
  for (let k = 0; k < eqs.length; k++) {
    const eq = eqs[k]!;
    const key = ext.slice(keyStart, eq);
    if (!/^[A-Za-z0-9_.]+$/.test(key)) throw new Error(`bad extension key "${key}"`);
    const next = eqs[k + 1];
    let valueEnd = ext.length;
    if (next !== undefined) {
      valueEnd = ext.lastIndexOf(' ', next);
      if (valueEnd <= eq) throw new Error(`unescaped = in the value of ${key}`);
      keyStart = valueEnd + 1;
    }
    out[key] = unescapeValue(ext.slice(eq + 1, valueEnd));
  }
  return out;
}

function unescapeValue(v: string): string {
  let out = '';
  for (let i = 0; i < v.length; i++) {
    const c = v[i];
    if (c !== '\\') {
      out += c;
      continue;
    }
    const n = v[++i];
    if (n === '\\' || n === '=') out += n;
    else if (n === 'n') out += '\n';
    else if (n === 'r') out += '\r';
    else throw new Error(`bad extension escape \\${n ?? ''}`);
  }
  return out;
}
