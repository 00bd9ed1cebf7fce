import { describe, expect, it } from 'vitest';
import { decodePersonalLink, encodePersonalLink } from '../../src/domain/personal-link.ts';
import { describeUserAgent } from '../../src/domain/user-agent.ts';

describe('personal links (spec §5.2)', () => {
  it('decodes the recorded example', () => {
    expect(decodePersonalLink('6nduaXKdnt1BBSl_7VhhXvVZfJo4j41_MLRP_8rbSYZkfwm4IWjz')).toEqual({
      distributionId: 'EMD_6nduaXKdnt1BBSl',
      surveyId: 'SV_7VhhXvVZfJo4j41',
      recipientId: 'MLRP_8rbSYZkfwm4IWjz',
    });
  });

  it('encodes what it decodes', () => {
    const link = { distributionId: 'EMD_0abcdefghijklmn', surveyId: 'SV_1ABCDEFGHIJKLMN', recipientId: 'MLRP_2abcdefghij0123' };
    const value = encodePersonalLink(link);
    expect(value).toBe('0abcdefghijklmn_1ABCDEFGHIJKLMN_MLRP_2abcdefghij0123');
    expect(decodePersonalLink(value)).toEqual(link);
    expect(decodePersonalLink(` ${value}\n`)).toEqual(link);
  });

  it('refuses anything else', () => {
    for (const v of [
      '', 'x', undefined, 42, ['6nduaXKdnt1BBSl_7VhhXvVZfJo4j41_MLRP_8rbSYZkfwm4IWjz'],
      '6nduaXKdnt1BBSl_7VhhXvVZfJo4j41', // no recipient
      '6nduaXKdnt1BBSl_7VhhXvVZfJo4j41_UR_8rbSYZkfwm4IWjz', // not a recipient
      '6nduaXKdnt1BBS_7VhhXvVZfJo4j41_MLRP_8rbSYZkfwm4IWjz', // short distribution part
      '6nduaXKdnt1BBSl_7VhhXvVZfJo4j41_MLRP_8rbSYZkfwm4IWjz_x',
      '6nduaXKdnt1BBSl_7VhhXvVZfJo4j4!_MLRP_8rbSYZkfwm4IWjz',
      'a'.repeat(10_000),
    ]) {
      expect(decodePersonalLink(v)).toBeNull();
    }
  });

  it('refuses to encode malformed IDs', () => {
    expect(() => encodePersonalLink({ distributionId: 'EMD_x', surveyId: 'SV_1ABCDEFGHIJKLMN', recipientId: 'MLRP_2abcdefghij0123' })).toThrow();
    expect(() => encodePersonalLink({ distributionId: 'EMD_0abcdefghijklmn', surveyId: 'SV_1ABCDEFGHIJKLMN', recipientId: 'CID_2abcdefghij0123' })).toThrow();
  });
});

describe('describeUserAgent (Meta Info question)', () => {
  it('names common browsers, most specific first', () => {
    const chrome = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.126 Safari/537.36';
    const edge = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.2592.87';
    const safari = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';
    const firefox = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:127.0) Gecko/20100101 Firefox/127.0';
    expect(describeUserAgent(chrome)).toEqual({ browser: 'Chrome', version: '126.0.6478.126', os: 'Linux' });
    expect(describeUserAgent(edge)).toEqual({ browser: 'Edge', version: '126.0.2592.87', os: 'Windows' });
    expect(describeUserAgent(safari)).toEqual({ browser: 'Safari', version: '17.5', os: 'iOS' });
    expect(describeUserAgent(firefox)).toEqual({ browser: 'Firefox', version: '127.0', os: 'Macintosh' });
    expect(describeUserAgent(undefined)).toEqual({ browser: '', version: '', os: '' });
    expect(describeUserAgent('curl/8.5.0')).toEqual({ browser: '', version: '', os: '' });
  });
});
