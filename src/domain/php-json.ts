const ESCAPED = /[/\u0080-\uffff]/g;

/** PHP json_encode: `/` escaped as `\/`, everything outside ASCII as \uXXXX (UTF-16 units). */
export function phpJson(value: unknown, pretty = false): string {
  const json = JSON.stringify(value, null, pretty ? 4 : undefined) ?? 'null';
  // Most documents hold neither: two native scans are cheaper than the regex replace.
  if (json.indexOf('/') === -1 && Buffer.byteLength(json) === json.length) return json;
  return json.replace(ESCAPED, (ch) => (ch === '/' ? '\\/' : `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`));
}
