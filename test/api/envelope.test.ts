import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { seedBrand, type SeededUser } from '../helpers/seed.ts';
import { apiGet, apiJson, apiPost, creds, API } from '../helpers/wrapi.ts';

let t: TestApp;
let admin: SeededUser;

beforeAll(async () => {
  t = await createTestApp();
  admin = await seedBrand(t, 'acme');
});
afterAll(async () => t?.close());

describe('envelope', () => {
  it('answers getUserInfo in JSON with the PHP-style success envelope', async () => {
    const r = await apiGet(t.app, { Request: 'getUserInfo', ...creds(admin) });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.body.startsWith('{"Meta":{"Status":"Success","Debug":""},"Result":{"UserData":{')).toBe(true);
    expect(r.json.Result.UserData.UserID).toBe(admin.id);
    expect(r.json.Result.Libraries).toEqual([{ Name: 'Admin Tester', ID: admin.id }]);
  });

  it('reports an unknown Request as ESRV05/404', async () => {
    const r = await apiGet(t.app, { Request: 'updatePanel', ...creds(admin) });
    expect(r.status).toBe(404);
    expect(r.body).toBe(
      '{"Meta":{"Status":"Error","RequestType":"updatePanel","ErrorCode":404,"QualtricsErrorCode":"ESRV05","ErrorMessage":"Server Request Type Unknown or Not Defined in Security.xml","Debug":""},"Result":null}',
    );
    expect(r.headers['requeststatus']).toBe('Failure');
    expect(r.headers['status']).toBe('404');
  });

  it('takes Request+Format from the URL and credentials from a JSON body', async () => {
    const r = await apiJson(t.app, { User: admin.username, Token: admin.token }, { Request: 'getUserInfo', Format: 'JSON' }, 'text/json');
    expect(r.status).toBe(200);
    expect(r.json.Result.UserData.UserName).toBe('admin#acme');
  });

  it('defaults to XML', async () => {
    const r = await apiPost(t.app, { Request: 'getUserInfo', User: admin.username, Token: admin.token });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toContain('text/xml');
    expect(r.body).toContain('<XML><Meta><Status>Success</Status><Debug/></Meta><Result><UserData>');
    expect(r.body).toContain('<LoginHistory/>');
  });

  it('refuses a wrong token', async () => {
    const r = await apiGet(t.app, { Request: 'getUserInfo', ...creds({ username: admin.username, token: 'x'.repeat(40) }) });
    expect(r.status).toBe(401);
    expect(r.json.Meta.ErrorMessage).toBe('Incorrect Username or Password');
    void API;
  });
});
