import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { errorEnvelope, isSafeCallback, phpJson, renderEnvelope, successEnvelope, toXml, xmlText } from '../../src/api/wrapi/serialize.ts';

describe('phpJson (PHP json_encode)', () => {
  it('escapes / as \\/ and non-ASCII as lower-case \\uXXXX, UTF-16 pairs for astral characters', () => {
    expect(phpJson({ Name: 'HE/FE June 2012' })).toBe('{"Name":"HE\\/FE June 2012"}');
    expect(phpJson('®é€')).toBe('"\\u00ae\\u00e9\\u20ac"');
    expect(phpJson('😀')).toBe('"\\ud83d\\ude00"');
    expect(phpJson('\u0080\uffff')).toBe('"\\u0080\\uffff"');
  });

  it('leaves ASCII (DEL included) as PHP does, and escapes control characters', () => {
    expect(phpJson('a\u007fb')).toBe('"a\u007fb"');
    expect(phpJson('<a href="x">&\'</a>')).toBe('"<a href=\\"x\\">&\'<\\/a>"');
    expect(phpJson('\n\t\u0001\\')).toBe('"\\n\\t\\u0001\\\\"');
  });

  it('is compact, keeps key order, and writes empty arrays as []', () => {
    expect(phpJson({ b: 1, a: [], c: {}, d: null, e: true, f: 1.5 })).toBe('{"b":1,"a":[],"c":{},"d":null,"e":true,"f":1.5}');
    expect(phpJson(undefined)).toBe('null');
  });

  it('pretty-prints with 4 spaces like JSON_PRETTY_PRINT', () => {
    expect(phpJson({ a: [1, { b: '/' }], c: [] }, true)).toBe('{\n    "a": [\n        1,\n        {\n            "b": "\\/"\n        }\n    ],\n    "c": []\n}');
  });

  it('renders the recorded envelopes byte for byte', () => {
    expect(phpJson(successEnvelope('DV_0xxxxxxxxx00003'))).toBe('{"Meta":{"Status":"Success","Debug":""},"Result":"DV_0xxxxxxxxx00003"}');
    expect(phpJson(errorEnvelope({ requestType: 'getPanels', httpStatus: 400, qualtricsCode: 'ESRV35|LibraryID', message: 'Invalid request. Missing or invalid parameter LibraryID.' }))).toBe(
      '{"Meta":{"Status":"Error","RequestType":"getPanels","ErrorCode":400,"QualtricsErrorCode":"ESRV35|LibraryID","ErrorMessage":"Invalid request. Missing or invalid parameter LibraryID.","Debug":""},"Result":null}',
    );
  });
});

describe('toXml', () => {
  const parse = (xml: string) => new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', parseTagValue: false }).parse(xml);

  it('writes the <XML> root, keys as elements and arrays as <element id="N">', () => {
    const xml = toXml('XML', successEnvelope({ Surveys: [{ SurveyID: 'SV_1' }, { SurveyID: 'SV_2' }] }));
    expect(xml).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n<XML><Meta><Status>Success</Status><Debug/></Meta><Result><Surveys><element id="0"><SurveyID>SV_1</SurveyID></element><element id="1"><SurveyID>SV_2</SurveyID></element></Surveys></Result></XML>',
    );
  });

  it('self-closes empty values on success and writes open/close pairs for errors', () => {
    expect(toXml('X', { a: '', b: null, c: [], d: {}, e: false })).toContain('<X><a/><b/><c/><d/><e/></X>');
    expect(toXml('X', { a: '', b: null, c: [] }, { emptyPair: true })).toContain('<X><a></a><b></b><c></c></X>');
    const err = toXml('XML', errorEnvelope({ requestType: 'getSurvey', httpStatus: 500, qualtricsCode: 'ESRV18', message: 'This survey is Unknown to this user account.' }), { emptyPair: true });
    expect(err).toContain(
      '<XML><Meta><Status>Error</Status><RequestType>getSurvey</RequestType><ErrorCode>500</ErrorCode><QualtricsErrorCode>ESRV18</QualtricsErrorCode><ErrorMessage>This survey is Unknown to this user account.</ErrorMessage><Debug></Debug></Meta><Result></Result></XML>',
    );
  });

  it('writes true as 1 and numbers as text', () => {
    expect(toXml('X', { t: true, n: 0, m: -2.5 })).toContain('<X><t>1</t><n>0</n><m>-2.5</m></X>');
  });

  it('turns keys that are no XML names into <element id="key">', () => {
    const xml = toXml('X', { 'MS_1 2': 'a', '9lives': 'b', xmlThing: 'c', 'a<b': 'd', ok_name: 'e' });
    expect(xml).toContain('<element id="MS_1 2">a</element><element id="9lives">b</element><element id="xmlThing">c</element><element id="a&lt;b">d</element><ok_name>e</ok_name>');
    expect(() => parse(xml)).not.toThrow();
  });

  it('escapes markup and drops characters XML 1.0 forbids, so the document always parses', () => {
    const nasty = 'a&b<c>"d\'\u0000\u0008\u000b\u001f\ufffe\ud800 ok\t\n😀';
    const xml = toXml('X', { v: nasty });
    expect(xml).toContain('<v>a&amp;b&lt;c&gt;&quot;d&apos; ok\t\n😀</v>');
    expect(parse(xml).X.v).toBe('a&b<c>"d\' ok\t\n😀');
  });

  it('xmlText keeps valid surrogate pairs and removes lone ones', () => {
    expect(xmlText('\ud83d\ude00')).toBe('😀');
    expect(xmlText('a\udc00b\ud800')).toBe('ab');
  });
});

describe('isSafeCallback', () => {
  it('accepts plain and dotted identifiers', () => {
    for (const ok of ['cb', 'a.b', '$', '_x1', 'jQuery1234_5678', 'a.b.c', 'x'.repeat(128)]) expect(isSafeCallback(ok)).toBe(true);
  });

  it('refuses anything that could inject script', () => {
    for (const bad of ['', 'alert(1)//', '<script>', 'a b', 'a;b', 'a..b', '.a', 'a.', '1a', 'a[0]', 'a\nb', 'a\u2028', 'é', 'x'.repeat(129), 'a-b', '/**/cb']) {
      expect(isSafeCallback(bad), bad).toBe(false);
    }
  });
});

describe('renderEnvelope', () => {
  it('gives each format its Content-Type', () => {
    const env = successEnvelope({ a: 1 });
    expect(renderEnvelope(env, 'JSON')).toEqual({ contentType: 'application/json', body: '{"Meta":{"Status":"Success","Debug":""},"Result":{"a":1}}' });
    expect(renderEnvelope(env, 'XML').contentType).toBe('text/xml; charset=utf-8');
    const jsonp = renderEnvelope(env, 'JSONP', { callback: 'cb' });
    expect(jsonp.contentType).toMatch(/^application\/javascript/);
    expect(jsonp.body).toBe('cb({"Meta":{"Status":"Success","Debug":""},"Result":{"a":1}})');
  });
});
