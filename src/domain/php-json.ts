/** PHP json_encode: `/` escaped as `\/`, everything outside ASCII as \uXXXX (UTF-16 units). */
export function phpJson(value: unknown, pretty = false): string {
  const json = JSON.stringify(value, null, pretty ? 4 : undefined) ?? 'null';
  return json.replace(/[/\u0080-\uffff]/g, (ch) => (ch === '/' ? '\\/' : `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`));
}
