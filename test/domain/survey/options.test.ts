import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FIXTURES } from './fixtures.ts';
import { DEFAULT_PARTIAL_DATA_MS, parseSurveyDate, readPartialData, readSurveyOptions, surveyOptionsSource } from '../../../src/domain/survey/options.ts';

const HOUR = 3600_000;
const DAY = 24 * HOUR;

describe('readSurveyOptions', () => {
  it('reads the options every fixture carries', () => {
    const doc: unknown = JSON.parse(readFileSync(`${FIXTURES}sample-survey/survey.qsf`, 'utf8'));
    const { so, entry } = surveyOptionsSource(doc);
    expect(readSurveyOptions(so, { entry })).toEqual({
      backButton: false,
      saveAndContinue: true,
      ballotBoxStuffingPrevention: false,
      startDate: null,
      expirationDate: null,
      termination: 'DefaultMessage',
      header: '',
      footer: '',
      progressBar: 'None',
      showProgress: false,
      partialDataMs: 7 * DAY,
      recordPartialData: true,
      nextButton: '>>',
      previousButton: '<<',
    });
  });

  it('gives the documented defaults for a missing or malformed SO payload', () => {
    for (const so of [undefined, null, 'x', [], { BackButton: {}, PartialData: 'soon', ProgressBarDisplay: 7 }]) {
      const o = readSurveyOptions(so);
      expect(o.backButton).toBe(false);
      expect(o.saveAndContinue).toBe(true);
      expect(o.partialDataMs).toBe(DEFAULT_PARTIAL_DATA_MS);
      expect(o.recordPartialData).toBe(true);
      expect([o.nextButton, o.previousButton]).toEqual(['Next', 'Back']);
      expect(o.termination).toBe('DefaultMessage');
    }
  });

  it('reads flags written as strings, booleans or numbers', () => {
    expect(readSurveyOptions({ BackButton: 'true', SaveAndContinue: 'false', BallotBoxStuffingPrevention: true })).toMatchObject({
      backButton: true, saveAndContinue: false, ballotBoxStuffingPrevention: true,
    });
    expect(readSurveyOptions({ BackButton: 1, SaveAndContinue: 0 })).toMatchObject({ backButton: true, saveAndContinue: false });
  });

  it('reads the end of survey: message (library or text) and http(s) redirects only', () => {
    expect(readSurveyOptions({ SurveyTermination: 'DisplayMessage', EOSMessage: 'MS_0abcdefghijklmn', EOSMessageLibrary: 'UR_0abcdefghijklmn' })).toMatchObject({
      termination: 'DisplayMessage', eosMessage: 'MS_0abcdefghijklmn', eosMessageLibrary: 'UR_0abcdefghijklmn',
    });
    expect(readSurveyOptions({ SurveyTermination: 'Redirect', EOSRedirectURL: 'https://example.org/done' }).eosRedirectUrl).toBe('https://example.org/done');
    // Qualtrics writes "https://" when no URL was typed; javascript: is never a redirect.
    expect(readSurveyOptions({ SurveyTermination: 'Redirect', EOSRedirectURL: 'https://' }).eosRedirectUrl).toBeUndefined();
    expect(readSurveyOptions({ SurveyTermination: 'Redirect', EOSRedirectURL: 'javascript:alert(1)' }).eosRedirectUrl).toBeUndefined();
    expect(readSurveyOptions({ SurveyTermination: 'Something' }).termination).toBe('DefaultMessage');
  });

  it('shows a progress bar for every ProgressBarDisplay except None', () => {
    expect(readSurveyOptions({ ProgressBarDisplay: 'NoText' })).toMatchObject({ progressBar: 'NoText', showProgress: true });
    expect(readSurveyOptions({ ProgressBarDisplay: 'VerboseText' }).showProgress).toBe(true);
    expect(readSurveyOptions({ ProgressBarDisplay: 'None' }).showProgress).toBe(false);
  });

  it('keeps header and footer HTML as written and trims button labels', () => {
    expect(readSurveyOptions({ Header: '<b>Acme</b>', Footer: '<i>f</i>', NextButton: '  Continue  ', PreviousButton: ' ' })).toMatchObject({
      header: '<b>Acme</b>', footer: '<i>f</i>', nextButton: 'Continue', previousButton: 'Back',
    });
  });

  it('applies start and expiration dates only when SurveyExpiration turns them on, in the brand zone', () => {
    const entry = { SurveyStartDate: '2026-01-10 09:00:00', SurveyExpirationDate: '2026-07-01 00:00:00' };
    expect(readSurveyOptions({ SurveyExpiration: 'None' }, { entry })).toMatchObject({ startDate: null, expirationDate: null });
    const on = readSurveyOptions({ SurveyExpiration: 'on' }, { entry, timeZone: 'America/Denver' });
    expect(on.startDate).toBe(Date.UTC(2026, 0, 10, 16, 0, 0)); // MST, UTC-7
    expect(on.expirationDate).toBe(Date.UTC(2026, 6, 1, 6, 0, 0)); // MDT, UTC-6
    // Dates in the SO payload win over the entry's; the unset date is no date.
    expect(readSurveyOptions({ SurveyExpiration: 'OnDate', SurveyStartDate: '0000-00-00 00:00:00', SurveyExpirationDate: '2026-02-01 12:00:00' }, { entry })).toMatchObject({
      startDate: null, expirationDate: Date.UTC(2026, 1, 1, 12),
    });
  });

  it('reads the inactive-survey message unless the default is chosen', () => {
    expect(readSurveyOptions({ InactiveSurvey: 'DefaultMessage', InactiveMessage: 'MS_0abcdefghijklmn' }).inactiveMessage).toBeUndefined();
    expect(readSurveyOptions({ InactiveSurvey: 'CustomMessage', InactiveMessage: 'MS_0abcdefghijklmn', InactiveMessageLibrary: 'UR_0abcdefghijklmn' })).toMatchObject({
      inactiveMessage: 'MS_0abcdefghijklmn', inactiveMessageLibrary: 'UR_0abcdefghijklmn',
    });
    expect(readSurveyOptions({ InactiveSurvey: 'MS_0abcdefghijklmn' }).inactiveMessage).toBe('MS_0abcdefghijklmn');
  });
});

describe('readPartialData', () => {
  it('reads the durations Qualtrics writes', () => {
    expect(readPartialData('+1 week')).toEqual({ ms: 7 * DAY, record: true });
    expect(readPartialData('+2 days')).toEqual({ ms: 2 * DAY, record: true });
    expect(readPartialData('+6 hours')).toEqual({ ms: 6 * HOUR, record: true });
    expect(readPartialData('+4 hour')).toEqual({ ms: 4 * HOUR, record: true });
    expect(readPartialData('+7 days')).toEqual({ ms: 7 * DAY, record: true });
    expect(readPartialData('30 minutes')).toEqual({ ms: 30 * 60_000, record: true });
  });

  it('"No" keeps nothing; anything unreadable is the default week', () => {
    expect(readPartialData('No')).toEqual({ ms: DEFAULT_PARTIAL_DATA_MS, record: false });
    for (const v of [undefined, '', 'forever', '+0 days', '-1 week', 42]) expect(readPartialData(v)).toEqual({ ms: DEFAULT_PARTIAL_DATA_MS, record: true });
  });

  it('caps absurd durations at a year', () => {
    expect(readPartialData('+999999 weeks').ms).toBe(365 * DAY);
  });
});

describe('parseSurveyDate', () => {
  it('reads wire dates in a zone, ISO dates with their offset, and nothing else', () => {
    expect(parseSurveyDate('2026-11-28 05:00:00', 'America/Denver')).toBe(Date.UTC(2026, 10, 28, 12));
    expect(parseSurveyDate('2025-12-31T23:59:59Z')).toBe(Date.UTC(2025, 11, 31, 23, 59, 59));
    expect(parseSurveyDate('0000-00-00 00:00:00')).toBeNull();
    expect(parseSurveyDate('yesterday')).toBeNull();
    expect(parseSurveyDate(null)).toBeNull();
    expect(parseSurveyDate('2026-01-01 00:00:00', 'Not/AZone')).toBeNull();
  });
});
