import { describe, expect, it } from 'vitest';
import { readSurveyOptions } from '../../../src/domain/survey/options.ts';

const MESSAGE = 'MS_0123456789abcde';
const LIBRARY = 'UR_0123456789abcde';

describe('readSurveyOptions: thank-you e-mail', () => {
  it('reads EmailThankYou "true" with a message and its library', () => {
    const o = readSurveyOptions({ EmailThankYou: 'true', ThankYouEmailMessage: MESSAGE, ThankYouEmailMessageLibrary: LIBRARY });
    expect(o.thankYouEmail).toEqual({ message: MESSAGE, library: LIBRARY });
    expect(readSurveyOptions({ EmailThankYou: true, ThankYouEmailMessage: ` ${MESSAGE} `, ThankYouEmailMessageLibrary: LIBRARY }).thankYouEmail).toEqual({ message: MESSAGE, library: LIBRARY });
  });

  it('has none when turned off, or when the message or library is missing or not a message ID', () => {
    const none = [
      {},
      { EmailThankYou: 'false', ThankYouEmailMessage: MESSAGE, ThankYouEmailMessageLibrary: LIBRARY },
      { ThankYouEmailMessage: MESSAGE, ThankYouEmailMessageLibrary: LIBRARY },
      { EmailThankYou: 'true', ThankYouEmailMessageLibrary: LIBRARY },
      { EmailThankYou: 'true', ThankYouEmailMessage: MESSAGE },
      { EmailThankYou: 'true', ThankYouEmailMessage: 'Thanks!', ThankYouEmailMessageLibrary: LIBRARY },
    ];
    for (const so of none) expect(readSurveyOptions(so).thankYouEmail, JSON.stringify(so)).toBeUndefined();
  });
});
