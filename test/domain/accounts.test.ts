import { describe, expect, it } from 'vitest';
import { DEFAULT_USER_TYPE, PERMISSION_NAMES, defaultPermissions, isBrandId, isUserTypeId, parsePermissions, qualifyUsername, splitUsername } from '../../src/domain/accounts.ts';

const ALL = Object.fromEntries(PERMISSION_NAMES.map((n) => [n, true]));

describe('qualifyUsername', () => {
  it('adds #brand when absent and keeps it when it names the brand', () => {
    expect(qualifyUsername('ann', 'acme')).toBe('ann#acme');
    expect(qualifyUsername('ann#acme', 'acme')).toBe('ann#acme');
    expect(qualifyUsername('  ann  ', 'acme')).toBe('ann#acme');
    expect(qualifyUsername('x@stanford.edu', 'stanforduniversity')).toBe('x@stanford.edu#stanforduniversity');
    expect(qualifyUsername('a.b_c+d-e', 'acme')).toBe('a.b_c+d-e#acme');
  });

  it('refuses another brand, an empty name and characters outside the name alphabet', () => {
    expect(qualifyUsername('ann#other', 'acme')).toBeUndefined();
    expect(qualifyUsername('ann#', 'acme')).toBeUndefined();
    expect(qualifyUsername('#acme', 'acme')).toBeUndefined();
    expect(qualifyUsername('', 'acme')).toBeUndefined();
    for (const bad of ['a b', 'a\u0000b', 'ann#x#acme', '<x>', 'é', 'a/b', 'x'.repeat(101)]) expect(qualifyUsername(bad, 'acme')).toBeUndefined();
    expect(qualifyUsername('x'.repeat(100), 'acme')).toBe(`${'x'.repeat(100)}#acme`);
  });
});

describe('splitUsername', () => {
  it('splits at the last #', () => {
    expect(splitUsername('ann#acme')).toEqual({ name: 'ann', brandId: 'acme' });
    expect(splitUsername('ann')).toEqual({ name: 'ann', brandId: undefined });
    expect(splitUsername('a#b#c')).toEqual({ name: 'a#b', brandId: 'c' });
  });
});

describe('parsePermissions', () => {
  it('reads stored booleans', () => {
    const stored = JSON.stringify({ accessApi: true, downloadResponses: false, createSurveys: true, distributeSurveys: false, manageContacts: true });
    expect(parsePermissions(stored, 'UT_STANDARD')).toEqual({ accessApi: true, downloadResponses: false, createSurveys: true, distributeSurveys: false, manageContacts: true });
  });

  it('fills permissions missing from older rows with the type default', () => {
    expect(parsePermissions('{"accessApi":true}', 'UT_STANDARD')).toEqual({ ...defaultPermissions('UT_STANDARD', false), accessApi: true });
    expect(parsePermissions('{}', 'UT_STANDARD').accessApi).toBe(false);
  });

  it('ignores non-boolean values and survives invalid JSON', () => {
    expect(parsePermissions('{"accessApi":"yes","createSurveys":0}', 'UT_STANDARD')).toEqual(defaultPermissions('UT_STANDARD', false));
    for (const junk of ['', 'not json', 'null', '[]', '42', '"s"']) expect(parsePermissions(junk, 'UT_STANDARD')).toEqual(defaultPermissions('UT_STANDARD', false));
  });

  it('gives a brand administrator every permission, whatever is stored', () => {
    const none = JSON.stringify(Object.fromEntries(PERMISSION_NAMES.map((n) => [n, false])));
    expect(parsePermissions(none, 'UT_BRANDADMIN')).toEqual(ALL);
  });

  it('treats an unknown type as the default type', () => {
    expect(parsePermissions('{}', 'UT_WHATEVER')).toEqual(defaultPermissions(DEFAULT_USER_TYPE, false));
  });
});

describe('types and brands', () => {
  it('knows the two built-in type IDs only', () => {
    expect(isUserTypeId('UT_BRANDADMIN')).toBe(true);
    expect(isUserTypeId('UT_STANDARD')).toBe(true);
    for (const bad of ['ut_standard', 'UT_', 'toString', '__proto__', 'constructor']) expect(isUserTypeId(bad)).toBe(false);
    expect(DEFAULT_USER_TYPE).toBe('UT_STANDARD');
  });

  it('grants API access by default to administrators only', () => {
    expect(defaultPermissions('UT_BRANDADMIN', false)).toEqual(ALL);
    expect(defaultPermissions('UT_STANDARD', false).accessApi).toBe(false);
    expect(defaultPermissions('UT_STANDARD', true).accessApi).toBe(true);
  });

  it('accepts short lower-case brand IDs', () => {
    for (const ok of ['nd', 'acme', 'stanforduniversity', 'a-b', '9x']) expect(isBrandId(ok)).toBe(true);
    for (const bad of ['', 'Acme', '-a', 'a_b', 'a b', 'x'.repeat(41), 'a#b']) expect(isBrandId(bad)).toBe(false);
  });
});
