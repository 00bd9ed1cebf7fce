/** Pure rules for contact-list members (panel recipients and directory contacts). */

export interface RecipientFields {
  firstName: string | null;
  lastName: string | null;
  email: string | null;
  externalRef: string | null;
  language: string | null;
  unsubscribed: boolean;
  embeddedData: Record<string, string>;
}

/** Limits that keep one member's row bounded, whatever a CSV or a client sends. */
export const FIELD_MAX = 1000;
export const ED_KEY_MAX = 200;
export const ED_VALUE_MAX = 10_000;
export const ED_KEYS_MAX = 200;

// Deliberately simple (RFC 5322 is not what people type): one @, no spaces, a dot in the domain.
const EMAIL = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+\.[^\s@<>()[\]\\,;:"]+$/;

export function isValidEmail(value: string): boolean {
  return value.length <= 254 && EMAIL.test(value);
}

/** Trims; empty becomes null (the API answers null for unset fields); strips control characters. */
export function cleanField(value: string | undefined | null, max = FIELD_MAX): string | null {
  if (value === undefined || value === null) return null;
  const v = value.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '').trim();
  return v === '' ? null : v.slice(0, max);
}

export function parseEmbeddedData(json: string | null): Record<string, string> {
  if (!json) return {};
  try {
    const value: unknown = JSON.parse(json);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, string>) : {};
  } catch {
    return {};
  }
}

export function serializeEmbeddedData(ed: Record<string, string>): string | null {
  return Object.keys(ed).length === 0 ? null : JSON.stringify(ed);
}
