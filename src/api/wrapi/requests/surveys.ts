import { formatDateTime } from '../../../domain/dates.ts';
import { surveyDefinitionXml } from '../../../domain/survey/definition-xml.ts';
import { SURVEY_FILE_MAX_BYTES } from '../../../domain/survey/import.ts';
import { invalidParam } from '../../../services/errors.ts';
import type { Services } from '../../../services/index.ts';
import type { SurveyListEntry } from '../../../services/surveys.ts';
import { UrlFetchError, fetchUrl } from '../../../services/url-fetch.ts';
import type { UploadedFile } from '../params.ts';
import { RawDocument, defineRequest, flag, optional, required } from '../registry.ts';

/**
 * Surveys (spec §2.4, wire §4.10–4.13). importSurvey, getSurveys, getSurveyName and the
 * activate/deactivate/deleteSurvey lifecycle are recorded; exportSurvey and copySurvey are
 * Insight additions. An unknown, foreign, unshared or deleted SurveyID is always ESRV18.
 */

const surveyId = () => required('The survey (SV_…)', 100);

/** Where the survey file comes from: URL, a multipart file part (any name), a Data/FileContents field, or the raw body. */
function surveySource(services: Services, url: string | undefined, files: UploadedFile[], field: string | undefined, rawBody: Buffer | undefined) {
  return async (): Promise<Buffer> => {
    if (url !== undefined) {
      try {
        return (await fetchUrl(url, { allowPrivate: services.config.allowPrivateUrls, maxBytes: SURVEY_FILE_MAX_BYTES })).body;
      } catch (error) {
        if (error instanceof UrlFetchError) throw invalidParam('URL');
        throw error;
      }
    }
    const file = files[0];
    if (file) return file.data;
    if (field !== undefined) return Buffer.from(field, 'utf8');
    if (rawBody && rawBody.length > 0) return rawBody;
    throw invalidParam('FileContents');
  };
}

defineRequest({
  name: 'importSurvey',
  product: 'ControlPanel',
  area: 'Survey',
  summary:
    'Imports a survey from a QSF file (JSON) or, with ImportFormat=TXT, a Qualtrics Advanced Format text file (converted to QSF; see spec §4.3): a multipart file part (any field name, e.g. FileContents or Data), a FileContents/Data form field, the raw POST body (parameters in the query string), or fetched from URL ' +
    '(http/https; private, loopback and link-local addresses are refused unless the operator sets ALLOW_PRIVATE_URLS=1). At most 50 MB. ' +
    'The file is kept byte for byte (exportSurvey gives it back); unknown elements and question types are kept as they are. ' +
    'Without Name the survey takes the QSF’s SurveyEntry.SurveyName. Activate=1 activates it at once (ESEC27 at the brand’s limit). OwnerID: a brand administrator may import for another user of the brand. ' +
    'Needs the createSurveys permission (ESEC07 otherwise). ImportFormat other than TXT, QSF, DOC, MSQ is ESRV35|ImportFormat; DOC and MSQ are refused with ESRV37 "ImportFormat DOC is not supported by this server yet." ' +
    'A TXT file that breaks the Advanced Format (no [[AdvancedFormat]] first line, an unknown tag, a question without text or without the choices/answers its type needs, a line over 100000 characters, control characters such as NUL) is ESRV37 "Error parsing file: The file does not appear to be a valid survey (line N: reason)." and nothing is stored. ' +
    'A file that is not a QSF (not UTF-8 JSON, no SurveyEntry object or SurveyElements array, larger than 50 MB) is ESRV37 (500) "Error parsing file: The file does not appear to be a valid survey" and, unlike the original server, no empty survey is created. ' +
    'No file at all is ESRV35|FileContents; a URL that cannot be fetched is ESRV35|URL.',
  rawBody: true,
  params: {
    ImportFormat: required('QSF or TXT (DOC and MSQ are not supported yet)', 20),
    Name: optional('Survey name; default: the name inside the file', 1000),
    Activate: flag('1: activate the survey at once'),
    OwnerID: optional('User (UR_…) to own the survey; brand administrators only', 100),
    URL: optional('Fetch the file from this http(s) URL', 4000),
    FileContents: optional('The file as a form field (a multipart file part is read too)', SURVEY_FILE_MAX_BYTES),
    Data: optional('Alias of FileContents, as the Ruby gem sent it', SURVEY_FILE_MAX_BYTES),
  },
  result: 'SurveyID',
  example: { SurveyID: 'SV_0abcdefghijklmn' },
  errors: ['InvalidParameter', 'Conflict', 'SurveyLimit', 'Forbidden', 'AdminOnly'],
  async handler({ actor, params, files, rawBody, services }) {
    const source = surveySource(services, params.URL, files, params.FileContents ?? params.Data, rawBody);
    const id = await services.surveys.importSurvey(actor, { format: params.ImportFormat, source, name: params.Name, activate: params.Activate, ownerId: params.OwnerID });
    return { SurveyID: id };
  },
});

function surveyEntry(s: SurveyListEntry, zone: string) {
  return {
    // A string count, first, and only when there are responses (spec §2.4, wire getSurveys-4).
    ...(s.responses > 0 ? { responses: String(s.responses) } : {}),
    SurveyType: 'SV',
    SurveyID: s.id,
    SurveyName: s.name,
    ...(s.description !== null ? { SurveyDescription: s.description } : {}),
    SurveyOwnerID: s.ownerId,
    SurveyStatus: s.status,
    SurveyStartDate: formatDateTime(s.startDate, zone),
    SurveyExpirationDate: formatDateTime(s.expirationDate, zone),
    SurveyCreationDate: formatDateTime(s.createdAt, zone),
    CreatorID: s.ownerId,
    LastModified: formatDateTime(s.modifiedAt, zone),
    LastActivated: formatDateTime(s.lastActivatedAt, zone),
    UserFirstName: s.ownerFirstName,
    UserLastName: s.ownerLastName,
  };
}

defineRequest({
  name: 'getSurveys',
  product: 'ControlPanel',
  area: 'Survey',
  summary:
    'Lists the surveys the user owns and those shared with the user or their groups (brand administrators see the same, not the whole brand), oldest first. ' +
    'LibraryID is accepted and ignored (even empty). `responses` (a string count) appears first only when the survey has responses; SurveyDescription only when set. Dates are in the brand’s time zone, 0000-00-00 00:00:00 when unset.',
  params: { LibraryID: optional('Accepted and ignored', 100) },
  result: 'Surveys: [{responses?, SurveyType:"SV", SurveyID, SurveyName, SurveyDescription?, SurveyOwnerID, SurveyStatus, SurveyStartDate, SurveyExpirationDate, SurveyCreationDate, CreatorID, LastModified, LastActivated, UserFirstName, UserLastName}]',
  example: {
    Surveys: [
      {
        SurveyType: 'SV',
        SurveyID: 'SV_0abcdefghijklmn',
        SurveyName: 'Complex survey',
        SurveyOwnerID: 'UR_0abcdefghijklmn',
        SurveyStatus: 'Inactive',
        SurveyStartDate: '0000-00-00 00:00:00',
        SurveyExpirationDate: '0000-00-00 00:00:00',
        SurveyCreationDate: '2015-02-26 09:46:31',
        CreatorID: 'UR_0abcdefghijklmn',
        LastModified: '2015-02-26 09:46:31',
        LastActivated: '0000-00-00 00:00:00',
        UserFirstName: 'Engineer',
        UserLastName: 'Development',
      },
    ],
  },
  errors: [],
  async handler({ actor, services }) {
    const [surveys, zone] = await Promise.all([services.surveys.listSurveys(actor), services.accounts.timeZone(actor.brandId)]);
    return { Surveys: surveys.map((s) => surveyEntry(s, zone)) };
  },
});

defineRequest({
  name: 'getSurveyName',
  product: 'ControlPanel',
  area: 'Survey',
  summary: 'The survey’s name, with its status, owner and dates (the extra fields are Insight’s choice; the original’s are not recorded). Language is accepted and ignored.',
  params: { SurveyID: surveyId(), Language: optional('Accepted and ignored', 20) },
  result: 'SurveyName, SurveyStatus, SurveyOwnerID, SurveyCreationDate, LastModified',
  example: { SurveyName: 'Complex survey', SurveyStatus: 'Active', SurveyOwnerID: 'UR_0abcdefghijklmn', SurveyCreationDate: '2015-02-26 09:46:31', LastModified: '2015-02-26 09:46:31' },
  errors: ['UnknownSurvey'],
  async handler({ actor, params, services }) {
    const s = await services.surveys.getSurvey(actor, params.SurveyID);
    const zone = await services.accounts.timeZone(actor.brandId);
    return {
      SurveyName: s.name,
      SurveyStatus: s.status,
      SurveyOwnerID: s.ownerId,
      SurveyCreationDate: formatDateTime(s.createdAt, zone),
      LastModified: formatDateTime(s.modifiedAt, zone),
    };
  },
});

defineRequest({
  name: 'activateSurvey',
  product: 'ControlPanel',
  area: 'Survey',
  summary: 'Activates the survey (no change if it is active). ESEC27 when the brand already has its maximum of active surveys.',
  params: { SurveyID: surveyId() },
  result: 'null',
  example: null,
  errors: ['UnknownSurvey', 'SurveyLimit'],
  async handler({ actor, params, services }) {
    await services.surveys.activate(actor, params.SurveyID);
    return null;
  },
});

defineRequest({
  name: 'deactivateSurvey',
  product: 'ControlPanel',
  area: 'Survey',
  summary: 'Deactivates the survey (no change if it is inactive).',
  params: { SurveyID: surveyId() },
  result: 'null',
  example: null,
  errors: ['UnknownSurvey'],
  async handler({ actor, params, services }) {
    await services.surveys.deactivate(actor, params.SurveyID);
    return null;
  },
});

defineRequest({
  name: 'deleteSurvey',
  product: 'ControlPanel',
  area: 'Survey',
  summary: 'Deletes the survey; afterwards its ID is ESRV18 for every Request. Only the owner may delete (ESEC07 for users it is shared with).',
  params: { SurveyID: surveyId() },
  result: 'null',
  example: null,
  errors: ['UnknownSurvey', 'Forbidden'],
  async handler({ actor, params, services }) {
    await services.surveys.delete(actor, params.SurveyID);
    return null;
  },
});

/** A file name made of the survey name: spaces to `_` as getSurvey does, anything unsafe dropped. */
const fileName = (name: string, extension = 'qsf') => `${name.replace(/\s+/g, '_').replace(/[^A-Za-z0-9._-]/g, '') || 'survey'}.${extension}`;

defineRequest({
  name: 'exportSurvey',
  product: 'ControlPanel',
  area: 'Survey',
  addition: true,
  summary: 'The survey’s QSF as a bare application/json download (no envelope), byte for byte what was imported, IDs included. Errors come in the envelope.',
  params: { SurveyID: surveyId() },
  result: 'The QSF document (no envelope)',
  example: { SurveyEntry: { SurveyName: 'Complex survey' }, SurveyElements: [] },
  errors: ['UnknownSurvey'],
  async handler({ actor, params, services }) {
    const { name, qsf } = await services.surveys.exportQsf(actor, params.SurveyID);
    return new RawDocument('application/json', Buffer.from(qsf, 'utf8'), { 'Content-Disposition': `attachment; filename="${fileName(name)}"` });
  },
});

defineRequest({
  name: 'copySurvey',
  product: 'ControlPanel',
  area: 'Survey',
  addition: true,
  summary: 'Copies a survey the user can reach into a new inactive survey of the user’s own (default name "<name> - Copy"). Needs the createSurveys permission.',
  params: { SurveyID: surveyId(), Name: optional('Name of the copy', 1000) },
  result: 'SurveyID',
  example: { SurveyID: 'SV_0abcdefghijklmn' },
  errors: ['UnknownSurvey', 'Forbidden'],
  async handler({ actor, params, services }) {
    return { SurveyID: await services.surveys.copySurvey(actor, params.SurveyID, params.Name) };
  },
});

defineRequest({
  name: 'shareSurvey',
  product: 'ControlPanel',
  area: 'Survey',
  addition: true,
  summary:
    'The survey’s owner shares it with one user (UserID) or one group (GroupID) of the brand: it then appears in their getSurveys and they may read, export, copy, activate and deactivate it, but not delete it. Exactly one of UserID and GroupID; sharing twice changes nothing.',
  params: { SurveyID: surveyId(), UserID: optional('A user of the brand (UR_…)', 100), GroupID: optional('A group of the brand (GR_…)', 100) },
  result: '{Success: true}',
  example: { Success: true },
  errors: ['UnknownSurvey', 'Forbidden', 'InvalidParameter'],
  async handler({ actor, params, services }) {
    await services.surveys.shareWith(actor, params.SurveyID, { userId: params.UserID, groupId: params.GroupID });
    return { Success: true };
  },
});

/** The stored QSF as a parsed document; a definition that no longer parses renders as an empty survey. */
function parseStored(qsf: string): unknown {
  try {
    return JSON.parse(qsf) as unknown;
  } catch {
    return null;
  }
}

defineRequest({
  name: 'getSurvey',
  product: 'ControlPanel',
  area: 'Survey',
  formats: ['XML'],
  summary:
    'The survey definition as a bare `<SurveyDefinition>` XML document (spec §4.1), built from the stored QSF: Content-Type text/xml, sent as an attachment named after the survey (spaces to `_`, other unsafe characters dropped, `.xml`). ' +
    'Format is ignored (Format=JSON still answers XML) and errors come as XML envelopes: an unknown, deleted, unshared or other brand’s SurveyID is ESRV18 (500). ' +
    'Root children in the recorded order: SurveyName, OwnerID, isActive (0/1), CreationDate, LastModifiedDate, StartDate, ExpirationDate (brand time zone; 0000-00-00 00:00:00 when unset), Languages, Questions, Blocks, SurveyFlow, EmbeddedData. ' +
    'Name, owner, status and dates are the survey’s as stored here, not the QSF’s SurveyEntry; the language is SurveyEntry.SurveyLanguage (default EN). ' +
    'Questions follow the QSF’s element order, including questions in the Trash block. Each Question[@QuestionID] has Type, Selector, SubSelector (empty element when the QSF has none), QuestionText, QuestionDescription, ExportTag (CDATA), Validation/ForceResponse (1 when the QSF’s ForceResponse is ON, else 0), ' +
    'Choices/Choice[@ID,@Recode,@TextEntry="1" on text-entry choices]/Description in ChoiceOrder, and Answers/Answer[@ID,@Recode]/Description only when the question has answers (matrix columns). ' +
    'For matrices the QSF’s RecodeValues belong to the answers, otherwise to the choices; an item without a recode value has its ID as Recode. Side-by-side columns follow as AdditionalQuestions/Question[@Column,@QuestionID] with the same children. ' +
    'All free text is CDATA; a `]]>` inside is split across two CDATA sections and characters XML 1.0 forbids are dropped. ' +
    'Blocks/Block[@Description,@ID] (Type="Trash" on the trash block) with BlockElements of Question[@QuestionID] and PageBreak; an empty block is a bare `<Block …/>`. ' +
    'SurveyFlow holds the QSF’s FL_n items, nested as in the file: Block[@FlowID,@ID] for Block and Standard items (Standard adds Type="Standard"); Branch[@FlowID,@Description], BlockRandomizer[@FlowID,@SubSet,@EvenPresentation], Group, EmbeddedData (with Field children) and EndSurvey by their QSF type; any other type is FlowElement[@FlowID,@Type]. ' +
    'EmbeddedData lists every field set anywhere in the flow (first definition of a name wins) as Field[@Type]/Name,Value; `<EmbeddedData/>` when none. ' +
    'ExportLogic=1 adds the logic (its shape on the original server is not recorded; this is Insight’s): DisplayLogic after Answers on questions and after Description on choices, SkipLogic on questions (taken from the question or from its block element, where Qualtrics exports keep it), BranchLogic first inside branches. ' +
    'A logic tree is DisplayLogic/ExpressionSet[@Index]/Expression[@Index], skip logic SkipLogic/Skip[@Index]; every scalar property of the QSF logic (LogicType, QuestionID, ChoiceLocator, Operator, LeftOperand, RightOperand, Conjuction, SkipToDestination, Description as CDATA …) is a child element of the same name, true/false as 1/0.',
  params: { SurveyID: surveyId(), ExportLogic: flag('1: include display, skip and branch logic') },
  result: 'The <SurveyDefinition> XML document (no envelope)',
  example: { SurveyDefinition: { SurveyName: 'Complex survey', OwnerID: 'UR_0abcdefghijklmn', isActive: '0', Questions: [], Blocks: [], SurveyFlow: [], EmbeddedData: [] } },
  errors: ['UnknownSurvey'],
  async handler({ actor, params, services }) {
    const [{ info, qsf }, zone] = await Promise.all([services.surveys.getDefinition(actor, params.SurveyID), services.accounts.timeZone(actor.brandId)]);
    const meta = {
      name: info.name,
      ownerId: info.ownerId,
      active: info.status === 'Active',
      creationDate: formatDateTime(info.createdAt, zone),
      lastModifiedDate: formatDateTime(info.modifiedAt, zone),
      startDate: formatDateTime(info.startDate, zone),
      expirationDate: formatDateTime(info.expirationDate, zone),
    };
    const xml = surveyDefinitionXml(meta, parseStored(qsf), { exportLogic: params.ExportLogic });
    return new RawDocument('text/xml; charset=utf-8', xml, { 'Content-Disposition': `attachment; filename="${fileName(info.name, 'xml')}"` });
  },
});
