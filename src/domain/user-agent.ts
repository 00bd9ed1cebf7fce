/**
 * The browser, its version and the operating system from a User-Agent header, for the Meta Info
 * question (Browser, Version, Operating System). A short ordered list of patterns, most specific
 * first (Edge and Opera also say "Chrome", Chrome also says "Safari"); anything unknown is "".
 */

export interface UserAgentInfo {
  browser: string;
  version: string;
  os: string;
}

const BROWSERS: Array<[name: string, pattern: RegExp]> = [
  ['Edge', /\bEdg(?:e|A|iOS)?\/([\d.]+)/],
  ['Opera', /\bOPR\/([\d.]+)/],
  ['Samsung Internet', /\bSamsungBrowser\/([\d.]+)/],
  ['Firefox', /\b(?:Firefox|FxiOS)\/([\d.]+)/],
  ['Chrome', /\b(?:Chrome|CriOS)\/([\d.]+)/],
  ['Safari', /\bVersion\/([\d.]+).*\bSafari\//],
  ['Internet Explorer', /\b(?:MSIE |rv:)([\d.]+)\).*Trident\//],
];

const SYSTEMS: Array<[name: string, pattern: RegExp]> = [
  ['Windows', /\bWindows\b/],
  ['Android', /\bAndroid\b/],
  ['iOS', /\b(?:iPhone|iPad|iPod)\b/],
  ['Macintosh', /\bMac OS X\b/],
  ['ChromeOS', /\bCrOS\b/],
  ['Linux', /\bLinux\b/],
];

/** Headers longer than this are cut before matching (a hostile header must not cost much). */
const MAX_LENGTH = 512;

export function describeUserAgent(header: string | undefined): UserAgentInfo {
  const ua = (header ?? '').slice(0, MAX_LENGTH);
  let browser = '';
  let version = '';
  for (const [name, pattern] of BROWSERS) {
    const m = pattern.exec(ua);
    if (m) {
      browser = name;
      version = m[1] ?? '';
      break;
    }
  }
  const os = SYSTEMS.find(([, pattern]) => pattern.test(ua))?.[0] ?? '';
  return { browser, version, os };
}
