/** Wire dates: `YYYY-MM-DD HH:MM:SS`, no zone, in the brand's time zone; unset is all zeros. */
export const UNSET_DATETIME = '0000-00-00 00:00:00';

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

// Intl formatting costs ~10 µs; the same stamps (creation dates, token dates) recur on every call.
const recent = new Map<string, string>();

export function formatDateTime(ms: number | null | undefined, timeZone: string): string {
  if (ms === null || ms === undefined) return UNSET_DATETIME;
  const key = `${timeZone}|${ms}`;
  let text = recent.get(key);
  if (text === undefined) {
    if (recent.size >= 2000) recent.clear();
    text = formatUncached(ms, timeZone);
    recent.set(key, text);
  }
  return text;
}

function formatUncached(ms: number, timeZone: string): string {
  const parts = Object.fromEntries(formatter(timeZone).formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}`;
}

export function isValidTimeZone(zone: string): boolean {
  try {
    formatter(zone);
    return true;
  } catch {
    return false;
  }
}
