import type { FastifyInstance, LightMyRequestResponse } from 'fastify';

export const API = '/WRAPI/ControlPanel/api.php';

export interface Call {
  status: number;
  headers: LightMyRequestResponse['headers'];
  body: string;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- test convenience: parsed answers are inspected freely
}

/** Any injected answer as a Call: status, headers, body, and the parsed JSON when it is JSON. */
export function toCall(res: Pick<LightMyRequestResponse, 'statusCode' | 'headers' | 'body'>): Call {
  let json: unknown;
  try {
    json = JSON.parse(res.body);
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, headers: res.headers, body: res.body, json };
}

/** A GET with every parameter in the query string. */
export async function apiGet(app: FastifyInstance, params: Record<string, string>, path = API): Promise<Call> {
  return toCall(await app.inject({ method: 'GET', url: `${path}?${new URLSearchParams(params)}` }));
}

/** A POST with a form body (and optionally some parameters in the query string). */
export async function apiPost(app: FastifyInstance, body: Record<string, string>, query: Record<string, string> = {}, path = API): Promise<Call> {
  const qs = new URLSearchParams(query).toString();
  return toCall(
    await app.inject({
      method: 'POST',
      url: qs ? `${path}?${qs}` : path,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams(body).toString(),
    }),
  );
}

export async function apiJson(app: FastifyInstance, body: unknown, query: Record<string, string> = {}, contentType = 'application/json', path = API): Promise<Call> {
  const qs = new URLSearchParams(query).toString();
  return toCall(
    await app.inject({ method: 'POST', url: qs ? `${path}?${qs}` : path, headers: { 'content-type': contentType }, payload: JSON.stringify(body) }),
  );
}

export function creds(user: { username: string; token: string }, format = 'JSON'): Record<string, string> {
  return { User: user.username, Token: user.token, Format: format, Version: '2.5' };
}
