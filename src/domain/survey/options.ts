/**
 * Survey options: the QSF `SO` element's payload (plus the dates of `SurveyEntry`) as the respondent
 * engine uses them. Spec: api-v2.md §4.2 (`SO` "Survey Options"). Read leniently: a value that is
 * missing or cannot be understood takes the documented default, never an error.
 *
 * Defaults (what a survey without an `SO` element gets):
 * - backButton false, saveAndContinue true, ballotBoxStuffingPrevention false;
 * - no start or expiration date;
 * - termination 'DefaultMessage' (the engine's own thank-you text);
 * - header and footer '';
 * - progressBar 'None' (no bar);
 * - partial data kept for one week after the last activity, then recorded as an unfinished
 *   response;
 * - nextButton "Next", previousButton "Back" (Qualtrics' "  >>  " / "  <<  " come through trimmed);
 * - inactive survey: the default message.
 */
import { isObj, str, type Obj } from './loose-json.ts';

export type SurveyTermination = 'DefaultMessage' | 'DisplayMessage' | 'Redirect';

export interface SurveyOptions {
  /** Respondents may go back a page. */
  backButton: boolean;
  /** A respondent who leaves may come back to the open session (same browser or personal link). */
  saveAndContinue: boolean;
  /** One response per browser (the routes keep a cookie); the engine only carries the flag. */
  ballotBoxStuffingPrevention: boolean;
  /** Epoch ms before which the survey is closed; null = no start date. */
  startDate: number | null;
  /** Epoch ms from which the survey is closed; null = never. */
  expirationDate: number | null;
  termination: SurveyTermination;
  /** End-of-survey message: a library message ID (`MS_…`) or literal text. */
  eosMessage?: string;
  eosMessageLibrary?: string;
  eosRedirectUrl?: string;
  /** Author HTML shown above and below every page (untrusted: sanitize before use). */
  header: string;
  footer: string;
  /** `ProgressBarDisplay` as written ('None', 'NoText', 'Text', 'VerboseText', 'WithText', …). */
  progressBar: string;
  /** Whether a progress bar shows at all. */
  showProgress: boolean;
  /** How long an untouched open session lives (ms after the last activity). */
  partialDataMs: number;
  /** At that deadline: record an unfinished response (true) or discard the session (`PartialData: "No"`). */
  recordPartialData: boolean;
  /** Label of the Next button (`NextButton`, trimmed). */
  nextButton: string;
  /** Label of the Back button (`PreviousButton`, trimmed). */
  previousButton: string;
  /** Message shown when the survey is inactive: a library message ID or text; absent = default. */
  inactiveMessage?: string;
  inactiveMessageLibrary?: string;
  /**
   * `EmailThankYou` "true" with `ThankYouEmailMessage` (MS_…) and `ThankYouEmailMessageLibrary`:
   * the library message mailed to a panel member who finishes through a personal link. Absent when
   * off or when either ID is missing (a thank-you without a message cannot be sent).
   */
  thankYouEmail?: { message: string; library: string };
}

export interface SurveyOptionsContext {
  /** The QSF `SurveyEntry`, whose SurveyStartDate/SurveyExpirationDate apply when SO turns expiration on. */
  entry?: unknown;
  /** IANA zone the `YYYY-MM-DD HH:MM:SS` dates are written in (the brand's); UTC by default. */
  timeZone?: string;
}

export const DEFAULT_PARTIAL_DATA_MS = 7 * 24 * 3600_000;

const UNIT_MS: Record<string, number> = {
  minute: 60_000,
  hour: 3600_000,
  day: 24 * 3600_000,
  week: 7 * 24 * 3600_000,
  month: 30 * 24 * 3600_000,
  year: 365 * 24 * 3600_000,
};

/** Longest deadline accepted: anything beyond a year is taken as a year. */
const MAX_PARTIAL_DATA_MS = UNIT_MS.year as number;

function flag(v: unknown, fallback: boolean): boolean {
  if (v === true || v === 1) return true;
  if (v === false || v === 0) return false;
  const s = str(v).trim().toLowerCase();
  if (['true', '1', 'on', 'yes'].includes(s)) return true;
  if (['false', '0', 'off', 'no', 'none'].includes(s)) return false;
  return fallback;
}

/**
 * `PartialData`: "+1 week", "+2 days", "+6 hours", "+4 hour", "1 month"… or "No" (do not keep
 * partial data). Anything else is the default week.
 */
export function readPartialData(v: unknown): { ms: number; record: boolean } {
  const s = str(v).trim().toLowerCase();
  if (s === 'no' || s === 'false' || s === 'none') return { ms: DEFAULT_PARTIAL_DATA_MS, record: false };
  const m = /^\+?\s*(\d{1,6})\s*(minute|hour|day|week|month|year)s?$/.exec(s);
  if (!m) return { ms: DEFAULT_PARTIAL_DATA_MS, record: true };
  const ms = Number(m[1]) * (UNIT_MS[m[2] as string] as number);
  return { ms: ms > 0 ? Math.min(ms, MAX_PARTIAL_DATA_MS) : DEFAULT_PARTIAL_DATA_MS, record: true };
}

/** The offset of `zone` from UTC at `utcMs`, in ms (positive east of Greenwich). */
function zoneOffset(utcMs: number, zone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
  }).formatToParts(new Date(utcMs));
  const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour') % 24, get('minute'), get('second'));
  return asUtc - Math.floor(utcMs / 1000) * 1000;
}

/**
 * A wire date (`YYYY-MM-DD HH:MM:SS` in `zone`, or ISO 8601 with `Z`/offset) as epoch ms; null
 * for the all-zeros "unset" date, empty or unreadable text, or an unknown zone.
 */
export function parseSurveyDate(v: unknown, zone = 'UTC'): number | null {
  const s = str(v).trim();
  if (/[zZ]$|[+-]\d\d:?\d\d$/.test(s) && s.includes('T')) {
    const ms = Date.parse(s);
    return Number.isFinite(ms) ? ms : null;
  }
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(s);
  if (!m || Number(m[1]) === 0) return null;
  const [y, mo, d, h, mi, se] = [m[1], m[2], m[3], m[4] ?? '0', m[5] ?? '0', m[6] ?? '0'].map(Number) as number[];
  const local = Date.UTC(y as number, (mo as number) - 1, d, h, mi, se);
  if (!Number.isFinite(local)) return null;
  try {
    // Two passes settle the offset across a DST change.
    let utc = local - zoneOffset(local, zone);
    utc = local - zoneOffset(utc, zone);
    return utc;
  } catch {
    return null;
  }
}

function termination(v: unknown): SurveyTermination {
  const s = str(v);
  return s === 'DisplayMessage' || s === 'Redirect' ? s : 'DefaultMessage';
}

function label(v: unknown, fallback: string): string {
  const s = str(v).trim();
  return s === '' ? fallback : s;
}

function optional(v: unknown): string | undefined {
  const s = str(v).trim();
  return s === '' ? undefined : s;
}

/** The options of a survey from its `SO` payload; `so` may be anything (missing element → defaults). */
export function readSurveyOptions(so: unknown, ctx: SurveyOptionsContext = {}): SurveyOptions {
  const o: Obj = isObj(so) ? so : {};
  const entry: Obj = isObj(ctx.entry) ? ctx.entry : {};
  const zone = ctx.timeZone ?? 'UTC';
  // "on"/"OnDate"/"true" turn the dates on; "None" (the usual value) leaves the survey open.
  const expires = flag(o.SurveyExpiration, false) || /^on/i.test(str(o.SurveyExpiration));
  const partial = readPartialData(o.PartialData);
  const progressBar = str(o.ProgressBarDisplay).trim() || 'None';
  const inactive = str(o.InactiveSurvey).trim();
  const inactiveMessage = optional(o.InactiveMessage) ?? (/^MS_/.test(inactive) ? inactive : undefined);
  const out: SurveyOptions = {
    backButton: flag(o.BackButton, false),
    saveAndContinue: flag(o.SaveAndContinue, true),
    ballotBoxStuffingPrevention: flag(o.BallotBoxStuffingPrevention, false),
    startDate: expires ? parseSurveyDate(o.SurveyStartDate ?? entry.SurveyStartDate, zone) : null,
    expirationDate: expires ? parseSurveyDate(o.SurveyExpirationDate ?? entry.SurveyExpirationDate, zone) : null,
    termination: termination(o.SurveyTermination),
    header: str(o.Header),
    footer: str(o.Footer),
    progressBar,
    showProgress: !['none', 'false', 'off', 'no'].includes(progressBar.toLowerCase()),
    partialDataMs: partial.ms,
    recordPartialData: partial.record,
    nextButton: label(o.NextButton, 'Next'),
    previousButton: label(o.PreviousButton, 'Back'),
  };
  const eosMessage = optional(o.EOSMessage);
  const eosLibrary = optional(o.EOSMessageLibrary);
  const redirect = optional(o.EOSRedirectURL);
  if (eosMessage) out.eosMessage = eosMessage;
  if (eosLibrary) out.eosMessageLibrary = eosLibrary;
  if (redirect && /^https?:\/\/\S+\.\S+/i.test(redirect)) out.eosRedirectUrl = redirect;
  if (inactiveMessage && inactive !== 'DefaultMessage') out.inactiveMessage = inactiveMessage;
  const inactiveLibrary = optional(o.InactiveMessageLibrary);
  if (out.inactiveMessage && inactiveLibrary) out.inactiveMessageLibrary = inactiveLibrary;
  const thankYouMessage = optional(o.ThankYouEmailMessage);
  const thankYouLibrary = optional(o.ThankYouEmailMessageLibrary);
  if (flag(o.EmailThankYou, false) && thankYouMessage && /^MS_/.test(thankYouMessage) && thankYouLibrary) {
    out.thankYouEmail = { message: thankYouMessage, library: thankYouLibrary };
  }
  return out;
}

/** The `SO` payload and `SurveyEntry` of a parsed QSF document (either may be missing). */
export function surveyOptionsSource(doc: unknown): { so: unknown; entry: unknown } {
  if (!isObj(doc)) return { so: undefined, entry: undefined };
  const elements = Array.isArray(doc.SurveyElements) ? doc.SurveyElements : [];
  const so = elements.find((e): e is Obj => isObj(e) && str(e.Element) === 'SO');
  return { so: so?.Payload, entry: doc.SurveyEntry };
}
