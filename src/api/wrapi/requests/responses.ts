import { Readable } from 'node:stream';
import { invalidParam } from '../../../services/errors.ts';
import type { Services } from '../../../services/index.ts';
import type { LegacyExportRequest } from '../../../services/responses.ts';
import { UrlFetchError, fetchUrl } from '../../../services/url-fetch.ts';
import type { UploadedFile } from '../params.ts';
import { RawDocument, defineRequest, flag, optional, required } from '../registry.ts';
import type { Format } from '../serialize.ts';

/**
 * Responses and reporting (spec §2.5, §2.6, §3). getLegacyResponseData answers a bare document in
 * four formats, streamed; the others use the envelope. getResponse and deleteResponse are Insight
 * additions. Errors: an unknown, foreign, unshared or deleted SurveyID is ESRV18; reading response
 * data without the downloadResponses permission is ESEC62.
 */

const surveyId = () => required('The survey (SV_…)', 100);
const responseId = (what = 'The response (R_…)') => required(what, 100);

/** A positive integer parameter (Limit); 0, negatives and anything else are ESRV35|<param>. */
function positiveInt(value: string | undefined, param: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,9}$/.test(value.trim()) || Number(value) < 1) throw invalidParam(param);
  return Number(value);
}

function integer(value: string | undefined, param: string): string | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d{1,9}$/.test(value.trim())) throw invalidParam(param);
  return value.trim();
}

function list(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const items = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  return items.length === 0 ? undefined : items;
}

function layout(value: string | undefined): LegacyExportRequest['layout'] {
  if (value === undefined || value === 'Legacy') return 'v';
  if (value === 'Named') return 'named';
  throw invalidParam('ExportLayout');
}

const LEGACY_SUMMARY =
  'The survey’s responses as a bare document (no envelope), streamed, in export order (the order responses were recorded). ' +
  'Format=XML (default): <Responses> with one <Response> per response, one element per column (names that are not XML names lose the characters they cannot hold, e.g. Q6#1_2 → Q61_2). ' +
  'JSON: one object keyed by ResponseID ({} when there are none); values are strings except IPAddress (null when unknown), choice recodes and numbers (JSON numbers) and Finished for in-progress rows (the number 0). ' +
  'CSV (application/vnd.msexcel): UTF-8 BOM, row 1 column names (V1…V10, then export tags, embedded-data fields, LocationLatitude/Longitude/Accuracy), row 2 labels, then one line per response, every line ending in a comma; cells a spreadsheet would run as formulas get a leading apostrophe. ' +
  'HTML: a <table> whose header row holds the column keys; every cell is escaped text (no markup from responses or the survey can appear). ' +
  'Previews and deleted responses are never exported. ResponseID: that response only (a deleted one gives an empty document; a malformed, unknown or other survey’s ID is ESRV35|ResponseID). ' +
  'LastResponseID: the responses recorded after that one (an ID that is not this survey’s is ESRV35|LastResponseID); with Limit this pages through a survey: ask again with the last ID received. ' +
  'Limit: a positive integer (0, negative or not a number is ESRV35|Limit). StartDate/EndDate (YYYY-MM-DD HH:MM:SS, or a date alone: EndDate then covers the whole day) bound the EndDate of the responses, inclusive, read in the brand’s time zone with LocalTime=1 (the default) and in UTC with LocalTime=0 — the same zone the StartDate/EndDate columns are written in. ' +
  'Questions: comma-separated QIDs whose columns to keep (a QID the survey lacks is ESRV35|Questions). UnansweredRecode: an integer written in the empty choice cells of questions that were displayed but not answered. ' +
  'PanelID: only responses through that panel’s personal links (ESRV35|PanelID when the brand has no such panel). ResponsesInProgress=1: the open sessions instead, keyed by their FS_ IDs, Finished 0, with the answers given so far (ResponseID and LastResponseID then take FS_ IDs). ' +
  'ResponseSetID: every survey has one response set, "Default" (any other value is ESRV35|ResponseSetID). SubgroupID: subgroups do not exist here (any value is ESRV35|SubgroupID). LocationData=0 leaves out the location columns (default 1). ' +
  'Insight addition: ExportLayout=Named gives the column layout of the newer exports (ResponseID, ResponseSet, IPAddress, StartDate, EndDate, RecipientLastName, RecipientFirstName, RecipientEmail, ExternalDataReference, Finished, Status; CSV without BOM, with a third header row of ImportIds and lines without the trailing comma).';

defineRequest({
  name: 'getLegacyResponseData',
  product: 'ControlPanel',
  area: 'Responses',
  summary: LEGACY_SUMMARY,
  formats: ['XML', 'JSON', 'CSV', 'HTML'],
  params: {
    SurveyID: surveyId(),
    ResponseID: optional('Only this response (R_…; FS_… with ResponsesInProgress=1)', 100),
    LastResponseID: optional('Only responses recorded after this one', 100),
    Limit: optional('At most this many responses (a positive integer)', 20),
    StartDate: optional('Responses ending at or after this time (YYYY-MM-DD HH:MM:SS)', 40),
    EndDate: optional('Responses ending at or before this time (YYYY-MM-DD HH:MM:SS)', 40),
    Questions: optional('Comma-separated QIDs whose columns to keep', 100_000),
    Labels: flag('1: choice texts instead of recodes'),
    ExportTags: flag('1 (default): columns named by export tag; 0: V11, V12, …', true),
    ExportQuestionIDs: flag('1: question columns named by QID (QID1, QID3_2, …)'),
    LocalTime: flag('1 (default): dates in the brand’s time zone; 0: UTC', true),
    UnansweredRecode: optional('Integer for questions displayed but left unanswered', 20),
    PanelID: optional('Only responses through this panel (ML_…)', 100),
    ResponsesInProgress: flag('1: the open (unfinished) sessions instead of responses'),
    ResponseSetID: optional('The response set: "Default"', 100),
    SubgroupID: optional('Not supported: any value is ESRV35|SubgroupID', 100),
    LocationData: flag('1 (default): the three location columns', true),
    ExportLayout: optional('Insight addition: Legacy (default) or Named', 20),
  },
  result: 'a bare document (see summary)',
  example: { R_0abcdefghijklmn: { ResponseSet: 'Default Response Set', Name: 'Anonymous', ExternalDataReference: '', EmailAddress: '', IPAddress: '203.0.113.9', Status: '0', StartDate: '2026-03-02 13:50:13', EndDate: '2026-03-02 13:50:40', Finished: '1', Q1: 2, Q2: 'Fine, thanks' } },
  errors: ['UnknownSurvey', 'NoDownloadPermission', 'InvalidParameter'],
  async handler({ actor, params, format, services }) {
    const doc = await services.responses.exportLegacy(actor, params.SurveyID, {
      format: format as 'XML' | 'JSON' | 'CSV' | 'HTML',
      responseId: params.ResponseID,
      lastResponseId: params.LastResponseID,
      limit: positiveInt(params.Limit, 'Limit'),
      startDate: params.StartDate,
      endDate: params.EndDate,
      questions: list(params.Questions),
      labels: params.Labels,
      exportTags: params.ExportTags,
      exportQuestionIds: params.ExportQuestionIDs,
      localTime: params.LocalTime,
      unansweredRecode: integer(params.UnansweredRecode, 'UnansweredRecode'),
      panelId: params.PanelID,
      responsesInProgress: params.ResponsesInProgress,
      responseSetId: params.ResponseSetID,
      subgroupId: params.SubgroupID,
      locationData: params.LocationData,
      layout: layout(params.ExportLayout),
    });
    return new RawDocument(doc.contentType, Readable.from(doc.chunks), documentHeaders(format, params.SurveyID));
  },
});

function documentHeaders(format: Format, id: string): Record<string, string> {
  if (format === 'CSV') return { 'Content-Disposition': `attachment; filename="${id}.csv"` };
  // Response text is escaped already; the policy keeps even a mistake from running anything.
  if (format === 'HTML') return { 'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'", 'X-Content-Type-Options': 'nosniff' };
  return {};
}

defineRequest({
  name: 'getSingleResponseHTML',
  product: 'ControlPanel',
  area: 'Responses',
  summary:
    'One response as a complete HTML page (an XHTML document starting with `<!DOCTYPE html PUBLIC`), in Result as a string: the response’s details, then each question (its export tag and text) with every column’s answer (choice texts as Labels=1 shows them), then embedded data. ' +
    'Every text is escaped and question HTML is reduced to plain text; the page holds no script, loads nothing, and carries a Content-Security-Policy that forbids both. ' +
    'A malformed, unknown, deleted or other survey’s ResponseID is ESRV35|ResponseID.',
  params: { SurveyID: surveyId(), ResponseID: responseId() },
  result: 'the HTML page (a string)',
  example: '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\n<html …>…</html>\n',
  errors: ['UnknownSurvey', 'NoDownloadPermission', 'InvalidParameter'],
  async handler({ actor, params, services }) {
    return services.responses.singleResponseHtml(actor, params.SurveyID, params.ResponseID);
  },
});

defineRequest({
  name: 'getResponse',
  product: 'ControlPanel',
  area: 'Responses',
  addition: true,
  summary:
    'One response in the envelope: ResponseID, then the columns getLegacyResponseData’s JSON holds for it (fixed fields by label, embedded data, question columns by export tag, location), dates in the brand’s time zone. Labels=1 gives choice texts. ' +
    'A malformed, unknown, deleted or other survey’s ResponseID is ESRV35|ResponseID.',
  params: { SurveyID: surveyId(), ResponseID: responseId(), Labels: flag('1: choice texts instead of recodes') },
  result: '{ResponseID, ResponseSet, Name, ExternalDataReference, EmailAddress, IPAddress, Status, StartDate, EndDate, Finished, <embedded data>, <question columns>, LocationLatitude, LocationLongitude, LocationAccuracy}',
  example: { ResponseID: 'R_0abcdefghijklmn', ResponseSet: 'Default Response Set', Name: 'Anonymous', ExternalDataReference: '', EmailAddress: '', IPAddress: '203.0.113.9', Status: '0', StartDate: '2026-03-02 13:50:13', EndDate: '2026-03-02 13:50:40', Finished: '1', Q1: 2 },
  errors: ['UnknownSurvey', 'NoDownloadPermission', 'InvalidParameter'],
  async handler({ actor, params, services }) {
    return services.responses.getResponse(actor, params.SurveyID, params.ResponseID, { labels: params.Labels });
  },
});

defineRequest({
  name: 'deleteResponse',
  product: 'ControlPanel',
  area: 'Responses',
  addition: true,
  summary:
    'Deletes a response: it leaves every export and count of responses (getResponseCounts* count it as Deleted), and getLegacyResponseData with its ResponseID answers an empty document. The data are kept (a soft delete). ' +
    'Anyone the survey is shared with may delete. A malformed, unknown, already deleted or other survey’s ResponseID is ESRV35|ResponseID.',
  params: { SurveyID: surveyId(), ResponseID: responseId() },
  result: '{Success: true}',
  example: { Success: true },
  errors: ['UnknownSurvey', 'InvalidParameter'],
  async handler({ actor, params, services }) {
    await services.responses.deleteResponse(actor, params.SurveyID, params.ResponseID);
    return { Success: true };
  },
});

defineRequest({
  name: 'updateResponseEmbeddedData',
  product: 'ControlPanel',
  area: 'Responses',
  summary:
    'Sets embedded-data fields of a response, given as ED[Field]=value (at least one; none is ESRV35|ED). An empty value removes the field; other fields are kept. ' +
    'Any field name is stored, but exports show only the fields the survey flow declares (as the spec records). A malformed, unknown, deleted or other survey’s ResponseID is ESRV35|ResponseID.',
  params: { SurveyID: surveyId(), ResponseID: responseId() },
  result: '{Success: true}',
  example: { Success: true },
  errors: ['UnknownSurvey', 'InvalidParameter'],
  async handler({ actor, params, embeddedData, services }) {
    await services.responses.updateEmbeddedData(actor, params.SurveyID, params.ResponseID, Object.fromEntries(embeddedData));
    return { Success: true };
  },
});

/** The CSV: FileURL, else an uploaded file part (any field name), else a FileContents field, else the raw body. */
async function importSource(services: Services, p: { FileURL?: string | undefined; FileContents?: string | undefined }, files: UploadedFile[], rawBody: Buffer | undefined): Promise<{ csv: Buffer; param: string }> {
  if (p.FileURL !== undefined) {
    try {
      return { csv: (await fetchUrl(p.FileURL, { allowPrivate: services.config.allowPrivateUrls })).body, param: 'FileURL' };
    } catch (error) {
      if (error instanceof UrlFetchError) throw invalidParam('FileURL');
      throw error;
    }
  }
  const file = files[0];
  if (file) return { csv: file.data, param: 'FileContents' };
  if (p.FileContents !== undefined) return { csv: Buffer.from(p.FileContents, 'utf8'), param: 'FileContents' };
  if (rawBody && rawBody.length > 0) return { csv: rawBody, param: 'FileContents' };
  throw invalidParam('FileContents');
}

/** One character; `\t` and `tab` name the tab. */
function oneChar(value: string | undefined, param: string): string | undefined {
  if (value === undefined) return undefined;
  const v = value === '\\t' || value.toLowerCase() === 'tab' ? '\t' : value;
  if ([...v].length !== 1 || v === '\n' || v === '\r') throw invalidParam(param);
  return v;
}

defineRequest({
  name: 'importResponses',
  product: 'ControlPanel',
  area: 'Responses',
  summary:
    'Imports responses from a UTF-8 CSV: a multipart file part (FileContents, or any field name), a FileContents form field, the raw POST body (parameters in the query string), or fetched from FileURL (http/https; private addresses refused unless the operator allows them). ' +
    'Two header rows: labels (or column names), then import IDs — `QID1`, `QID1-TEXT`, `QID4-1-2`, `startDate`, `endDate`, or `{"ImportId":"QID1"}` objects — or column names (`Q1`, `Q2_3`, `QID3_2`, `V1`…). ' +
    'Whichever header row names more columns is used, so a getLegacyResponseData CSV imports as it is, and a newer export’s third row of ImportId objects is read too. A column naming nothing in the survey becomes embedded data named by its header (listed in UnmatchedColumns). ' +
    'Values: choice columns take the recode or the choice text; selection columns 1 (or the choice text; 0 or blank = not selected); slider, rank and constant-sum columns a number (DecimalFormat=, reads 3,5 as 3.5); text columns anything. ' +
    'StartDate/EndDate as YYYY-MM-DD HH:MM:SS in the brand’s time zone (or ISO 8601), empty = now; Finished 0/1, empty = 1; Name or RecipientLastName/RecipientFirstName, EmailAddress, ExternalDataReference, IPAddress and location columns are kept; ResponseID, ResponseSet and Status are ignored: every row becomes a new response (R_…) with Status 4. ' +
    'IgnoreValidation=1 stores values outside a question’s choices as they are. All or nothing, in one transaction: any row that cannot be read refuses the file with ESRV37 naming the rows and columns (the first 10), and nothing is stored. ' +
    'A file that is not CSV (unclosed quote, not UTF-8) or has fewer than two rows is ESRV35|FileContents (ESRV35|FileURL when fetched). Delimiter and Enclosure are single characters (Delimiter=tab for tabs).',
  rawBody: true,
  params: {
    SurveyID: surveyId(),
    ResponseSetID: optional('The response set: "Default"', 100),
    FileURL: optional('Fetch the CSV from this http(s) URL', 4000),
    FileContents: optional('The CSV as a form field (a multipart file part is read too)', 64 * 1024 * 1024),
    Delimiter: optional('Field delimiter; default ","', 10),
    Enclosure: optional('Quote character; default \'"\'', 10),
    IgnoreValidation: flag('1: keep values outside a question’s choices'),
    DecimalFormat: optional('"." (default) or ","', 10),
  },
  result: '{Count (number), ResponseIDs [R_…, in file order], UnmatchedColumns [headers imported as embedded data]}',
  example: { Count: 2, ResponseIDs: ['R_0abcdefghijklmn', 'R_1bcdefghijklmno'], UnmatchedColumns: [] },
  errors: ['UnknownSurvey', 'InvalidParameter', 'Conflict'],
  async handler({ actor, params, files, rawBody, services }) {
    const delimiter = oneChar(params.Delimiter, 'Delimiter');
    const enclosure = oneChar(params.Enclosure, 'Enclosure');
    if (delimiter !== undefined && delimiter === (enclosure ?? '"')) throw invalidParam('Enclosure');
    if (params.DecimalFormat !== undefined && params.DecimalFormat !== '.' && params.DecimalFormat !== ',') throw invalidParam('DecimalFormat');
    // The survey is checked before a URL is fetched.
    await services.surveys.getSurvey(actor, params.SurveyID);
    const source = await importSource(services, params, files, rawBody);
    const r = await services.responses.importResponses(actor, params.SurveyID, source.csv, {
      delimiter,
      enclosure,
      ignoreValidation: params.IgnoreValidation,
      decimalComma: params.DecimalFormat === ',',
      responseSetId: params.ResponseSetID,
      sourceParam: source.param,
    });
    return { Count: r.count, ResponseIDs: r.responseIds, UnmatchedColumns: r.unmatchedColumns };
  },
});

const countsResult = (c: { auditable: number; generated: number; deleted: number }) => ({
  Auditable: String(c.auditable),
  Generated: String(c.generated),
  Deleted: String(c.deleted),
});

const COUNTS_SUMMARY =
  'Counts responses whose EndDate falls between StartDate and EndDate (YYYY-MM-DD, whole days in the brand’s time zone; EndDate defaults to today). ' +
  'Auditable: live responses; Generated: test (Status 2) and imported (Status 4) responses; Deleted: deleted responses of any status. Previews are not counted. The counts are strings, like the API’s other counters.';

defineRequest({
  name: 'getResponseCountsBySurvey',
  product: 'ControlPanel',
  area: 'Reporting',
  summary: `${COUNTS_SUMMARY} One survey the user can reach (ESRV18 otherwise).`,
  params: { SurveyID: surveyId(), StartDate: required('First day (YYYY-MM-DD)', 40), EndDate: optional('Last day (YYYY-MM-DD); default today', 40) },
  result: '{Auditable, Generated, Deleted} (strings)',
  example: { Auditable: '587', Generated: '3', Deleted: '1' },
  errors: ['UnknownSurvey', 'InvalidParameter'],
  async handler({ actor, params, services }) {
    return countsResult(await services.responses.counts(actor, { surveyId: params.SurveyID, startDate: params.StartDate, endDate: params.EndDate }));
  },
});

defineRequest({
  name: 'getResponseCountsBase',
  product: 'ControlPanel',
  area: 'Reporting',
  summary: `${COUNTS_SUMMARY} With SurveyID, that survey (ESRV18 when the user cannot reach it); without, every survey of the brand for a Brand Administrator (the licence view), or the surveys the user owns or that are shared with them.`,
  params: { SurveyID: optional('One survey (SV_…); default all', 100), StartDate: required('First day (YYYY-MM-DD)', 40), EndDate: optional('Last day (YYYY-MM-DD); default today', 40) },
  result: '{Auditable, Generated, Deleted} (strings)',
  example: { Auditable: '1042', Generated: '12', Deleted: '4' },
  errors: ['UnknownSurvey', 'InvalidParameter'],
  async handler({ actor, params, services }) {
    return countsResult(await services.responses.counts(actor, { surveyId: params.SurveyID, startDate: params.StartDate, endDate: params.EndDate }));
  },
});
