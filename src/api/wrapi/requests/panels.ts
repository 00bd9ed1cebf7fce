import { Readable } from 'node:stream';
import { z } from 'zod';
import { formatDateTime } from '../../../domain/dates.ts';
import type { Actor } from '../../../services/actor.ts';
import { invalidParam } from '../../../services/errors.ts';
import type { Services } from '../../../services/index.ts';
import type { RecipientView } from '../../../services/panels.ts';
import type { RecipientHistory } from '../../../services/recipient-history.ts';
import { UrlFetchError, fetchUrl } from '../../../services/url-fetch.ts';
import type { UploadedFile } from '../params.ts';
import { RawDocument, defineRequest, flag, optional, required } from '../registry.ts';
import { phpJson, toXml, xmlText } from '../serialize.ts';

/** A field parameter where an empty value is meaningful (updateRecipient: `FirstName=` clears it). */
const field = (description: string, max = 1000) => z.string().max(max).optional().describe(description);

/** 0/1 (or true/false); an empty value counts as absent, as the gem sent `Unsubscribed=`. */
function unsubscribedOf(value: string | undefined): boolean | undefined {
  if (value === undefined || value === '') return undefined;
  if (value === '1' || value === 'true') return true;
  if (value === '0' || value === 'false') return false;
  throw invalidParam('Unsubscribed');
}

function edOf(map: Map<string, string>): Record<string, string> {
  return Object.fromEntries(map);
}

/** The histories as getRecipient shows them: null rather than an empty array, as recorded. */
function histories(h: RecipientHistory) {
  const date = (ms: number) => formatDateTime(ms, h.timeZone);
  return {
    RecipientResponseHistory:
      h.responses.length === 0
        ? null
        : h.responses.map((r) => ({ ResponseID: r.responseId, SurveyID: r.surveyId, TimeStamp: date(r.endDate), EmailDistributionID: r.distributionId, FinishedSurvey: r.finished ? '1' : '0' })),
    RecipientEmailHistory:
      h.emails.length === 0
        ? null
        : h.emails.map((e) => ({
            EmailDistributionID: e.distributionId, SurveyID: e.surveyId, Type: e.type, Status: e.status,
            SentDate: e.sentAt === null ? null : date(e.sentAt), OpenedDate: e.openedAt === null ? null : date(e.openedAt),
          })),
  };
}

/** getRecipient/updateRecipient's record: request names renamed as recorded, null for unset. */
async function recipientResult(services: Services, actor: Actor, r: RecipientView | null) {
  if (!r) return { Recipient: null };
  const history = histories(await services.recipientHistory.of(actor, r));
  return {
    Recipient: {
      PanelMemberID: r.id,
      PanelID: r.panelId,
      FirstName: r.firstName,
      LastName: r.lastName,
      Email: r.email,
      ExternalDataReference: r.externalRef,
      EmbeddedData: Object.keys(r.embeddedData).length === 0 ? null : r.embeddedData,
      Language: r.language,
      ...history,
      Unsubscribed: r.unsubscribed ? '1' : '0',
    },
  };
}

const recipientExample = {
  Recipient: {
    PanelMemberID: 'MLRP_0abcdefghijklmn',
    PanelID: 'ML_0abcdefghijklmn',
    FirstName: 'Kevin',
    LastName: null,
    Email: null,
    ExternalDataReference: null,
    EmbeddedData: null,
    Language: null,
    RecipientResponseHistory: null,
    RecipientEmailHistory: null,
    Unsubscribed: '0',
  },
};

defineRequest({
  name: 'createPanel',
  product: 'ControlPanel',
  area: 'Panel',
  summary: 'Creates an empty panel (contact list) in a library. Category defaults to "Unassigned".',
  params: { LibraryID: required('Library (UR_… or GR_…)'), Name: required('Panel name'), Category: optional('Category; default "Unassigned"') },
  result: 'PanelID',
  example: { PanelID: 'ML_0abcdefghijklmn' },
  errors: ['InvalidParameter'],
  async handler({ actor, params, services }) {
    const panel = await services.panels.createPanel(actor, params.LibraryID, params.Name, params.Category);
    return { PanelID: panel.id };
  },
});

defineRequest({
  name: 'deletePanel',
  product: 'ControlPanel',
  area: 'Panel',
  summary: 'Deletes a panel and all its members.',
  params: { LibraryID: required('Library'), PanelID: required('Panel (ML_…)') },
  result: 'Success: true (a JSON boolean, as recorded)',
  example: { Success: true },
  errors: ['InvalidParameter'],
  async handler({ actor, params, services }) {
    await services.panels.deletePanel(actor, params.LibraryID, params.PanelID);
    return { Success: true };
  },
});

defineRequest({
  name: 'getPanels',
  product: 'ControlPanel',
  area: 'Panel',
  summary: 'The panels of a library: "Unassigned" first, then the other categories in the order they were first used; within a category by PanelID (case-insensitive).',
  params: { LibraryID: required('Library') },
  result: 'Panels[{Name, PanelID, Category}]',
  example: { Panels: [{ Name: 'Spring cohort', PanelID: 'ML_0abcdefghijklmn', Category: 'Unassigned' }] },
  errors: ['InvalidParameter'],
  async handler({ actor, params, services }) {
    const panels = await services.panels.listPanels(actor, params.LibraryID);
    return { Panels: panels.map((p) => ({ Name: p.name, PanelID: p.id, Category: p.category })) };
  },
});

defineRequest({
  name: 'getPanelMemberCount',
  product: 'ControlPanel',
  area: 'Panel',
  summary: 'How many members a panel has. Count is a string, like the other counters of the v2 API (clients apply int()).',
  params: { LibraryID: required('Library'), PanelID: required('Panel') },
  result: 'Count (a string of digits)',
  example: { Count: '42' },
  errors: ['InvalidParameter'],
  async handler({ actor, params, services }) {
    return { Count: String(await services.panels.memberCount(actor, params.LibraryID, params.PanelID)) };
  },
});

const recipientFields = {
  Email: field('E-mail address; an invalid address is ESRV35|Email'),
  FirstName: field('First name'),
  LastName: field('Last name'),
  ExternalDataRef: field('External data reference'),
  Language: field('Language code, e.g. EN', 20),
  Unsubscribed: field('0/1'),
};

defineRequest({
  name: 'addRecipient',
  product: 'ControlPanel',
  area: 'Panel',
  summary: 'Adds a recipient to a panel. Every field is optional (a recipient with no fields is accepted); embedded data as ED[key]=value. A plain `ED=` is ignored.',
  params: { LibraryID: required('Library'), PanelID: required('Panel'), ...recipientFields },
  result: 'RecipientID',
  example: { RecipientID: 'MLRP_0abcdefghijklmn' },
  errors: ['InvalidParameter'],
  async handler({ actor, params, embeddedData, services }) {
    const r = await services.panels.addRecipient(actor, params.LibraryID, params.PanelID, {
      email: params.Email,
      firstName: params.FirstName,
      lastName: params.LastName,
      externalRef: params.ExternalDataRef,
      language: params.Language,
      unsubscribed: unsubscribedOf(params.Unsubscribed) ?? false,
      embeddedData: edOf(embeddedData),
    });
    return { RecipientID: r.id };
  },
});

defineRequest({
  name: 'getRecipient',
  product: 'ControlPanel',
  area: 'Panel',
  summary:
    'One recipient. A well-formed RecipientID that is unknown, removed or outside the library answers Recipient: null (as recorded); a malformed one is ESRV35|RecipientID. ' +
    'RecipientResponseHistory lists the responses recorded through the personal links of the panel\'s distributions (previews and deleted responses left out), oldest first: ' +
    '{ResponseID, SurveyID, TimeStamp (when recorded, YYYY-MM-DD HH:MM:SS in the brand time zone), EmailDistributionID (the distribution whose link was used), FinishedSurvey ("1" or "0")}. ' +
    'RecipientEmailHistory (shape not recorded; Insight\'s) lists every mailing the recipient was part of, oldest first: ' +
    '{EmailDistributionID, SurveyID, Type ("Invite", "Reminder" or "ThankYou"), Status (queued, sending, sent, failed or skipped, as getDistributionRecipients), SentDate, OpenedDate (brand time zone, or null)}. ' +
    'Both are null, not [], when empty, as recorded.',
  params: { LibraryID: required('Library'), RecipientID: required('Recipient (MLRP_…)') },
  result:
    'Recipient{PanelMemberID, PanelID, FirstName, LastName, Email, ExternalDataReference, EmbeddedData, Language, RecipientResponseHistory: null | [{ResponseID, SurveyID, TimeStamp, EmailDistributionID, FinishedSurvey}], RecipientEmailHistory: null | [{EmailDistributionID, SurveyID, Type, Status, SentDate, OpenedDate}], Unsubscribed} or Recipient: null',
  example: recipientExample,
  errors: ['InvalidParameter'],
  async handler({ actor, params, services }) {
    return recipientResult(services, actor, await services.panels.getRecipient(actor, params.LibraryID, params.RecipientID));
  },
});

defineRequest({
  name: 'updateRecipient',
  product: 'ControlPanel',
  area: 'Panel',
  summary: 'Changes only the fields sent (an empty value clears a field); ED[key] values are merged into the embedded data (an empty value removes the key). Unknown recipient: ESRV35|RecipientID.',
  params: { LibraryID: required('Library'), RecipientID: required('Recipient'), PanelID: optional('Panel (checked when sent)'), ...recipientFields },
  result: 'Recipient{…} as getRecipient, with the new values',
  example: recipientExample,
  errors: ['InvalidParameter'],
  async handler({ actor, params, embeddedData, services }) {
    if (params.PanelID !== undefined) {
      const current = await services.panels.getRecipient(actor, params.LibraryID, params.RecipientID);
      if (current && current.panelId !== params.PanelID) throw invalidParam('PanelID');
    }
    const r = await services.panels.updateRecipient(actor, params.LibraryID, params.RecipientID, {
      ...(params.Email !== undefined ? { email: params.Email } : {}),
      ...(params.FirstName !== undefined ? { firstName: params.FirstName } : {}),
      ...(params.LastName !== undefined ? { lastName: params.LastName } : {}),
      ...(params.ExternalDataRef !== undefined ? { externalRef: params.ExternalDataRef } : {}),
      ...(params.Language !== undefined ? { language: params.Language } : {}),
      ...(unsubscribedOf(params.Unsubscribed) !== undefined ? { unsubscribed: unsubscribedOf(params.Unsubscribed) } : {}),
      ...(embeddedData.size > 0 ? { embeddedData: edOf(embeddedData) } : {}),
    });
    return recipientResult(services, actor, r);
  },
});

defineRequest({
  name: 'removeRecipient',
  product: 'ControlPanel',
  area: 'Panel',
  summary: 'Removes a recipient from a panel. A recipient not in that panel is ESRV35|RecipientID.',
  params: { LibraryID: required('Library'), PanelID: required('Panel'), RecipientID: required('Recipient') },
  result: 'Success: 1 (a JSON number, as recorded)',
  example: { Success: 1 },
  errors: ['InvalidParameter'],
  async handler({ actor, params, services }) {
    await services.panels.removeRecipient(actor, params.LibraryID, params.PanelID, params.RecipientID);
    return { Success: 1 };
  },
});

/** Where the CSV comes from: URL, else the first uploaded file (any field name), else the raw body. */
async function importSource(services: Services, url: string | undefined, files: UploadedFile[], rawBody: Buffer | undefined): Promise<{ csv: Buffer; param: string }> {
  if (url !== undefined) {
    try {
      const doc = await fetchUrl(url, { allowPrivate: services.config.allowPrivateUrls });
      return { csv: doc.body, param: 'URL' };
    } catch (error) {
      if (error instanceof UrlFetchError) throw invalidParam('URL');
      throw error;
    }
  }
  const file = files[0];
  if (file) return { csv: file.data, param: 'Body' };
  if (rawBody && rawBody.length > 0) return { csv: rawBody, param: 'Body' };
  throw invalidParam('Body');
}

defineRequest({
  name: 'importPanel',
  product: 'ControlPanel',
  area: 'Panel',
  summary:
    'Imports a UTF-8 CSV (BOM optional, CRLF or LF, quoted fields may hold commas and newlines) into a new panel, or appends to PanelID. ' +
    'The CSV is the raw POST body (parameters in the query string, any Content-Type but JSON), or a multipart file part (any field name), or fetched from URL (http/https; private, loopback and link-local addresses are refused unless the operator sets ALLOW_PRIVATE_URLS=1; at most 50 MB). ' +
    'Field parameters are 1-based column numbers (ExternalData is accepted for ExternalRef). AllED=1 makes every unused column embedded data named by its header (`Column<n>` without headers); EmbeddedData lists columns. ' +
    'Rows without a valid e-mail are skipped and counted in IgnoredCount; duplicate e-mails are kept as separate members. All or nothing: a malformed file (unbalanced quote, invalid UTF-8, a record over 2,000,000 characters or 2000 columns) is ESRV35|Body (ESRV35|URL when fetched) and nothing is stored. ' +
    'Without Name a new panel is called "Imported <date>".',
  rawBody: true,
  params: {
    LibraryID: required('Library'),
    Name: optional('Name of the new panel'),
    PanelID: optional('Append to this panel instead'),
    Category: optional('Category of the new panel'),
    ColumnHeaders: flag('1: the first row is a header'),
    Email: optional('Column number of the e-mail (required)', 20),
    FirstName: optional('Column number', 20),
    LastName: optional('Column number', 20),
    ExternalRef: optional('Column number', 20),
    ExternalData: optional('Column number (alias of ExternalRef, as the Ruby gem sent it)', 20),
    Language: optional('Column number', 20),
    Unsubscribed: optional('Column number (1/true/yes = unsubscribed)', 20),
    AllED: flag('1: every unused column becomes embedded data'),
    EmbeddedData: optional('Comma-separated column numbers of embedded data', 20_000),
    URL: optional('Fetch the CSV from this http(s) URL', 4000),
  },
  result: 'PanelID, Count (number), IgnoredCount (number), Recipients {RecipientID: email} ([] when none)',
  example: { PanelID: 'ML_0abcdefghijklmn', Count: 1, IgnoredCount: 0, Recipients: { MLRP_0abcdefghijklmn: 'example@example.com' } },
  errors: ['InvalidParameter'],
  async handler({ actor, params, files, rawBody, services }) {
    await services.libraries.require(actor, params.LibraryID);
    const mapping = services.panels.readMapping({ ...params, ExternalRef: params.ExternalRef ?? params.ExternalData });
    if (params.PanelID !== undefined) await services.panels.getPanelInfo(actor, params.LibraryID, params.PanelID);
    const source = await importSource(services, params.URL, files, rawBody);
    const result = await services.panels.importPanel(actor, params.LibraryID, source.csv, mapping, {
      panelId: params.PanelID,
      name: params.Name,
      category: params.Category,
      sourceParam: source.param,
    });
    return {
      PanelID: result.panelId,
      Count: result.count,
      IgnoredCount: result.ignoredCount,
      // PHP's empty array: `[]` when nothing was imported (recorded).
      Recipients: result.recipients.length === 0 ? [] : Object.fromEntries(result.recipients),
    };
  },
});

// ---- getPanel: a bare document in four formats, streamed member by member ----

interface PanelDocOptions {
  edKeys: string[];
  exportLanguage: boolean;
}

function memberObject(m: RecipientView, o: PanelDocOptions): Record<string, unknown> {
  return {
    RecipientID: m.id,
    FirstName: m.firstName,
    LastName: m.lastName,
    Email: m.email,
    ExternalDataReference: m.externalRef,
    EmbeddedData: m.embeddedData,
    ...(o.exportLanguage ? { Language: m.language } : {}),
    Unsubscribed: m.unsubscribed ? '1' : '0',
  };
}

async function* jsonDocument(members: AsyncIterable<RecipientView>, o: PanelDocOptions): AsyncGenerator<string> {
  let first = true;
  let out = '[';
  for await (const m of members) {
    out += (first ? '' : ',') + phpJson(memberObject(m, o));
    first = false;
    if (out.length > 64 * 1024) {
      yield out;
      out = '';
    }
  }
  yield out + ']';
}

const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';

async function* xmlDocument(members: AsyncIterable<RecipientView>, o: PanelDocOptions): AsyncGenerator<string> {
  let out = `${XML_DECLARATION}<Panel>`;
  for await (const m of members) {
    out += toXml('Recipient', memberObject(m, o)).slice(XML_DECLARATION.length);
    if (out.length > 64 * 1024) {
      yield out;
      out = '';
    }
  }
  yield out + '</Panel>';
}

async function* htmlDocument(members: AsyncIterable<RecipientView>, o: PanelDocOptions): AsyncGenerator<string> {
  const heads = ['RecipientID', 'FirstName', 'LastName', 'Email', 'ExternalDataReference', ...(o.exportLanguage ? ['Language'] : []), 'Unsubscribed', ...o.edKeys];
  const td = (tag: string, v: string | null | undefined) => `<${tag}>${xmlText(v ?? '')}</${tag}>`;
  let out = `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Panel</title></head><body><table><thead><tr>${heads.map((h) => td('th', h)).join('')}</tr></thead><tbody>`;
  for await (const m of members) {
    const cells = [m.id, m.firstName, m.lastName, m.email, m.externalRef, ...(o.exportLanguage ? [m.language] : []), m.unsubscribed ? '1' : '0', ...o.edKeys.map((k) => m.embeddedData[k])];
    out += `<tr>${cells.map((c) => td('td', c)).join('')}</tr>`;
    if (out.length > 64 * 1024) {
      yield out;
      out = '';
    }
  }
  yield out + '</tbody></table></body></html>\n';
}

function positiveInt(value: string | undefined, param: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,9}$/.test(value) || Number(value) < 1) throw invalidParam(param);
  return Number(value);
}

defineRequest({
  name: 'getPanel',
  product: 'ControlPanel',
  area: 'Panel',
  summary:
    'A panel’s members as a bare document (no envelope), streamed. Format=XML (default): <Panel> with one <Recipient> per member. JSON: an array of ' +
    '{RecipientID, FirstName, LastName, Email, ExternalDataReference, EmbeddedData{…} ({} when none), Language (with ExportLanguage=1), Unsubscribed "0"/"1"}. ' +
    'CSV (application/vnd.msexcel, UTF-8 BOM): RecipientID, FirstName, LastName, Email, ExternalDataReference, [Language], Unsubscribed, then the EmbeddedData keys asked for; cells that would run as spreadsheet formulas get a leading apostrophe. HTML: a table with the CSV columns. ' +
    'Paging: LastRecipientID (start after this member) and NumberOfRecords. Subscribed=1 / Unsubscribed=1 filter (both = everyone).',
  formats: ['XML', 'JSON', 'CSV', 'HTML'],
  params: {
    LibraryID: required('Library'),
    PanelID: required('Panel'),
    EmbeddedData: optional('Comma-separated embedded-data keys to add as CSV/HTML columns', 20_000),
    LastRecipientID: optional('Start after this member'),
    NumberOfRecords: optional('At most this many members', 20),
    ExportLanguage: flag('1: include Language'),
    Subscribed: flag('1: only subscribed members'),
    Unsubscribed: flag('1: only unsubscribed members'),
  },
  result: 'a bare document (see summary)',
  example: [{ RecipientID: 'MLRP_0abcdefghijklmn', FirstName: 'Ann', LastName: 'Lee', Email: 'ann@example.com', ExternalDataReference: null, EmbeddedData: { SubjectID: '12' }, Unsubscribed: '0' }],
  errors: ['InvalidParameter'],
  async handler({ actor, params, format, services }) {
    const o: PanelDocOptions = { edKeys: (params.EmbeddedData ?? '').split(',').map((k) => k.trim()).filter((k) => k !== ''), exportLanguage: params.ExportLanguage };
    const paging = {
      afterId: params.LastRecipientID,
      limit: positiveInt(params.NumberOfRecords, 'NumberOfRecords'),
      subscribed: params.Subscribed,
      unsubscribed: params.Unsubscribed,
    };
    if (format === 'CSV') {
      const csv = await services.panels.csvExport(actor, params.LibraryID, params.PanelID, { ...paging, embeddedData: o.edKeys, exportLanguage: o.exportLanguage });
      return new RawDocument('application/vnd.msexcel', Readable.from(csv), { 'Content-Disposition': `attachment; filename="${params.PanelID}.csv"` });
    }
    const members = await services.panels.openMembers(actor, params.LibraryID, params.PanelID, { ...paging, batchSize: 2000 });
    if (format === 'JSON') return new RawDocument('application/json', Readable.from(jsonDocument(members, o)));
    if (format === 'HTML') return new RawDocument('text/html; charset=UTF-8', Readable.from(htmlDocument(members, o)));
    return new RawDocument('text/xml; charset=utf-8', Readable.from(xmlDocument(members, o)));
  },
});
