import { Readable } from 'node:stream';
import { formatDateTime } from '../../../domain/dates.ts';
import { invalidParam } from '../../../services/errors.ts';
import { DIRECTORY_PAGE_MAX, IMPORT_MAX_BYTES, type ColumnMapping, type ContactFields, type ContactView } from '../../../services/contacts.ts';
import type { SubscriptionFilter } from '../../../store/contacts.ts';
import { RawDocument, defineRequest, flag, id, optional, optionalId, required } from '../registry.ts';
import { phpJson } from '../serialize.ts';
import type { UploadedFile } from '../params.ts';

// The Contacts (Target Audience) product. Only the Request names and parameters are recorded (spec
// §2.10, §6); the result shapes are Insight's decisions, written into each summary and result so the
// reference page documents them. They follow the known ControlPanel Requests: `{"Success":true}` for
// deletions of containers, `{"Success":1}` for removing a member, counters as strings except Count/
// IgnoredCount, `null` for unset fields, ExternalDataRef → ExternalDataReference, `[]` for empty maps.

const P = 'Contacts' as const;
const A = 'Contacts' as const;
const WHO_LIST = 'Needs access to the library (own, group, or any of the brand for brand administrators)';
const WHO_WRITE = `${WHO_LIST} and the ManageContacts permission.`;
const WHO_DIRECTORY = 'Directory-wide: any user of the brand with the ManageContacts permission.';
const SAME_ERROR = 'Unknown, malformed and other brands’ IDs all answer ESRV35|<the parameter>; nothing changes.';

const EXAMPLE_LIST = 'CG_0abcdefghijklmn';
const EXAMPLE_CONTACT = 'CID_0abcdefghijklmn';

/** A positive whole number no larger than `max`, or undefined when absent. */
function count(value: string | undefined, param: string, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > max) throw invalidParam(param);
  return Number(value);
}

function subscriptionFilter(unsubscribed: boolean, subscribed: boolean): SubscriptionFilter {
  if (unsubscribed && !subscribed) return 'unsubscribed';
  if (subscribed && !unsubscribed) return 'subscribed';
  return 'all';
}

const edOut = (ed: Record<string, string>, keys?: string[]) => {
  const picked = keys ? Object.fromEntries(keys.filter((k) => k in ed).map((k) => [k, ed[k] as string])) : ed;
  return Object.keys(picked).length === 0 ? [] : picked;
};

const contactFieldParams = {
  Email: optional('E-mail address (checked; merges into the directory contact with this address on createContact)'),
  FirstName: optional('First name'),
  LastName: optional('Last name'),
  ExternalDataRef: optional('External data reference'),
  Language: optional('Language code, e.g. EN'),
  Unsubscribed: optional('1 = unsubscribed, 0 = subscribed; absent = unchanged'),
};

function contactFields(
  params: { Email?: string | undefined; FirstName?: string | undefined; LastName?: string | undefined; ExternalDataRef?: string | undefined; Language?: string | undefined },
  unsubscribed: string | undefined,
  embeddedData: Map<string, string>,
): ContactFields {
  const f: ContactFields = { embeddedData };
  if (params.Email !== undefined) f.email = params.Email;
  if (params.FirstName !== undefined) f.firstName = params.FirstName;
  if (params.LastName !== undefined) f.lastName = params.LastName;
  if (params.ExternalDataRef !== undefined) f.externalRef = params.ExternalDataRef;
  if (params.Language !== undefined) f.language = params.Language;
  if (unsubscribed !== undefined) {
    if (!['0', '1', 'true', 'false'].includes(unsubscribed)) throw invalidParam('Unsubscribed');
    f.unsubscribed = unsubscribed === '1' || unsubscribed === 'true';
  }
  return f;
}

// ---------------------------------------------------------------------------------------------
// Lists
// ---------------------------------------------------------------------------------------------

defineRequest({
  name: 'createContactList',
  product: P,
  area: A,
  addition: true,
  summary: `Creates an empty contact list in a library (the original API had no such Request; importContacts with Name also creates one). ${WHO_WRITE}`,
  params: { LibraryID: required('Library to hold the list (UR_… or GR_…)'), Name: required('Name of the list') },
  result: 'Result{ListID:"CG_…"} — an object, like createPanel’s {PanelID}.',
  example: { ListID: EXAMPLE_LIST },
  errors: ['InvalidParameter', 'Forbidden'],
  handler: async ({ actor, params, services }) => ({ ListID: await services.contacts.createList(actor, params.LibraryID, params.Name) }),
});

defineRequest({
  name: 'getContactLists',
  product: P,
  area: A,
  addition: true,
  summary: `The contact lists of a library, oldest first, with their member counts. ${WHO_LIST}.`,
  params: { LibraryID: required('Library (UR_… or GR_…)') },
  result: 'Result{Lists:[{ListID, Name, Count}]} — Count is a string, as the original counters were; an empty library gives Lists:[].',
  example: { Lists: [{ ListID: EXAMPLE_LIST, Name: 'Customers 2026', Count: '1250' }] },
  errors: ['InvalidParameter'],
  handler: async ({ actor, params, services }) => ({
    Lists: (await services.contacts.lists(actor, params.LibraryID)).map((l) => ({ ListID: l.id, Name: l.name, Count: String(l.count) })),
  }),
});

defineRequest({
  name: 'deleteList',
  product: P,
  area: A,
  summary: `Deletes a contact list. Its contacts stay in the brand’s directory (remove them there, not here). ${WHO_WRITE} ${SAME_ERROR}`,
  params: { LibraryID: required('Library holding the list'), ListID: id('CG', 'The list (CG_…)') },
  result: 'Result{"Success":true} — a JSON boolean, like deletePanel.',
  example: { Success: true },
  errors: ['InvalidParameter', 'Forbidden'],
  handler: async ({ actor, params, services }) => {
    await services.contacts.deleteList(actor, params.LibraryID, params.ListID);
    return { Success: true };
  },
});

// ---------------------------------------------------------------------------------------------
// Import (asynchronous)
// ---------------------------------------------------------------------------------------------

const column = (what: string) => optional(`1-based column number of ${what}`);

function uploaded(files: UploadedFile[]): Buffer | undefined {
  return files[0]?.data;
}

defineRequest({
  name: 'importContacts',
  product: P,
  area: A,
  rawBody: true,
  summary:
    'Imports a CSV into the brand’s directory and a list, as a background job: the parameters are checked at once, the list is created (without ListID), ' +
    'and the answer comes before the file is read. Poll checkImportContactsStatus with the JobID. ' +
    `The CSV is the raw POST body with the parameters in the query string, a multipart file part (any field name), or URL= (http/https; private and loopback addresses refused unless ALLOW_PRIVATE_URLS=1); at most ${IMPORT_MAX_BYTES / (1024 * 1024)} MB, UTF-8 with or without BOM. ` +
    'Column parameters are 1-based numbers as for importPanel; with ColumnHeaders=1 a field without a number is found by its header (Email, FirstName, LastName, ExternalRef, Language, Unsubscribed). ' +
    'Merging: a row with a ContactID column updates that contact (an unknown ContactID is ignored and counted); any other row merges into the directory contact with the same e-mail address (compared without case), or creates one. ' +
    'Empty cells never erase; ED keys are merged. Duplicate addresses in one file become one contact, listed once at its first row. Rows without a valid e-mail are ignored and counted. ' +
    'All or nothing: everything is written in one transaction at the end; a malformed file (unbalanced quotes, invalid UTF-8, a column number beyond the last column, more than 1000 columns) fails the job with an Error and stores no contact (a list the call created stays, empty). ' +
    `${WHO_WRITE}`,
  params: {
    LibraryID: required('Library holding the list'),
    Name: optional('Name of a new list (required without ListID)'),
    ListID: optionalId('CG', 'Append to this list instead of creating one'),
    ColumnHeaders: flag('1: the first row is a header row'),
    Email: column('the e-mail address (required unless ColumnHeaders=1 and a header is “Email”)'),
    FirstName: column('the first name'),
    LastName: column('the last name'),
    ExternalRef: column('the external data reference'),
    Language: column('the language'),
    Unsubscribed: column('the unsubscribed flag (1/true/yes = unsubscribed)'),
    AllED: flag('1: every column not mapped above becomes embedded data, named by its header (ColumnN without headers)'),
    EmbeddedData: optional('Comma list of column numbers that become embedded data'),
    URL: optional('Fetch the CSV from this http(s) URL instead of the body', 2000),
  },
  result: 'Result{JobID:"J_…", ListID:"CG_…"} — at once; the counts come from checkImportContactsStatus.',
  example: { JobID: 'J_0abcdefghijklmn', ListID: EXAMPLE_LIST },
  errors: ['InvalidParameter', 'Forbidden'],
  handler: async ({ actor, params, services, rawBody, files }) => {
    const mapping: ColumnMapping = { columnHeaders: params.ColumnHeaders, allEd: params.AllED, embeddedData: [] };
    for (const [key, param] of [
      ['email', 'Email'],
      ['firstName', 'FirstName'],
      ['lastName', 'LastName'],
      ['externalRef', 'ExternalRef'],
      ['language', 'Language'],
      ['unsubscribed', 'Unsubscribed'],
    ] as const) {
      const n = count(params[param], param, 1000);
      if (n !== undefined) mapping[key] = n;
    }
    if (params.EmbeddedData !== undefined) {
      mapping.embeddedData = params.EmbeddedData.split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '')
        .map((s) => count(s, 'EmbeddedData', 1000) as number);
    }
    const data = uploaded(files) ?? rawBody;
    const started = await services.contacts.startImport(actor, {
      libraryId: params.LibraryID,
      mapping,
      ...(params.Name !== undefined ? { name: params.Name } : {}),
      ...(params.ListID !== undefined ? { listId: params.ListID } : {}),
      ...(params.URL !== undefined ? { url: params.URL } : {}),
      ...(data !== undefined ? { data } : {}),
    });
    return { JobID: started.jobId, ListID: started.listId };
  },
});

defineRequest({
  name: 'checkImportContactsStatus',
  product: P,
  area: A,
  summary:
    'The state of an importContacts job. PercentComplete is a number: rows read so far against the file’s line count while Running (at most 99), 100 when Complete. ' +
    'Count is the number of rows stored (created or merged), IgnoredCount the rows skipped (no valid e-mail, unknown ContactID); both are 0 until Complete. ' +
    `Error (only when Failed) says what was wrong with the file; nothing was stored then. ${WHO_WRITE} A job of another brand or of a library the user cannot use answers ESRV35|JobID.`,
  params: { JobID: optional('The JobID importContacts answered'), ImportID: optional('Accepted as another name for JobID') },
  result: 'Result{Status:"Queued"|"Running"|"Complete"|"Failed", PercentComplete:<number 0–100>, ListID, Count:<number>, IgnoredCount:<number>, Error?}',
  example: { Status: 'Complete', PercentComplete: 100, ListID: EXAMPLE_LIST, Count: 1250, IgnoredCount: 3 },
  errors: ['InvalidParameter', 'Forbidden'],
  handler: async ({ actor, params, services }) => {
    const param = params.JobID === undefined && params.ImportID !== undefined ? 'ImportID' : 'JobID';
    const s = await services.contacts.importStatus(actor, params.JobID ?? params.ImportID, param);
    return {
      Status: s.status,
      PercentComplete: s.percent,
      ListID: s.listId,
      Count: s.count,
      IgnoredCount: s.ignored,
      ...(s.error !== null ? { Error: s.error } : {}),
    };
  },
});

// ---------------------------------------------------------------------------------------------
// List members
// ---------------------------------------------------------------------------------------------

/** A directory contact's fields in the order getContacts and getContactsByInfo answer them. */
function directoryFields(c: ContactView) {
  return {
    FirstName: c.firstName,
    LastName: c.lastName,
    Email: c.email,
    ExternalDataReference: c.externalRef,
    Language: c.language,
    Unsubscribed: c.unsubscribed ? '1' : '0',
  };
}

function memberJson(c: ContactView, opts: { edKeys: string[] | undefined; language: boolean; history: boolean }): Record<string, unknown> {
  return {
    RecipientID: c.id,
    FirstName: c.firstName,
    LastName: c.lastName,
    Email: c.email,
    ExternalDataReference: c.externalRef,
    EmbeddedData: edOut(c.embeddedData, opts.edKeys),
    ...(opts.language ? { Language: c.language } : {}),
    ...(opts.history ? { ContactHistory: [] } : {}),
    Unsubscribed: c.unsubscribed ? '1' : '0',
  };
}

async function* jsonArray(pages: AsyncIterable<ContactView[]>, render: (c: ContactView) => Record<string, unknown>): AsyncGenerator<string> {
  let first = true;
  yield '[';
  for await (const page of pages) {
    let chunk = '';
    for (const c of page) {
      chunk += (first ? '' : ',') + phpJson(render(c));
      first = false;
    }
    yield chunk;
  }
  yield ']';
}

defineRequest({
  name: 'getListContacts',
  product: P,
  area: A,
  formats: ['JSON'],
  summary:
    'The members of a list in list order (import order for imports), as a bare JSON array without the Meta/Result envelope (Format is ignored; errors still come as envelopes). ' +
    'Streamed from the database page by page. RecipientID is the directory ContactID. Paging: LastRecipientID (start after this member) and NumberOfRecords. ' +
    `EmbeddedData (comma list of keys) limits the embedded data shown; without it all keys are shown, and none is [] as PHP wrote empty maps. ContactHistory=1 adds ContactHistory:[] (always empty: distributions mail panels, not directory contacts, so no mailing or response is attached to a contact; a panel member's history is in getRecipient). ${WHO_LIST}. ${SAME_ERROR}`,
  params: {
    LibraryID: required('Library holding the list'),
    ListID: id('CG', 'The list (CG_…)'),
    EmbeddedData: optional('Comma list of embedded-data keys to include (default: all)'),
    LastRecipientID: optionalId('CID', 'Start after this member'),
    NumberOfRecords: optional('At most this many members'),
    ExportLanguage: flag('1 adds Language'),
    Unsubscribed: flag('1: only unsubscribed members'),
    Subscribed: flag('1: only subscribed members'),
    ContactHistory: flag('1 adds ContactHistory'),
  },
  result: 'No envelope: [{RecipientID, FirstName, LastName, Email, ExternalDataReference, EmbeddedData{…}|[], Language?, ContactHistory?, Unsubscribed:"0"|"1"}, …]',
  example: [{ RecipientID: EXAMPLE_CONTACT, FirstName: 'Ann', LastName: 'Lee', Email: 'ann@example.com', ExternalDataReference: null, EmbeddedData: { Zip: '74534' }, Unsubscribed: '0' }],
  errors: ['InvalidParameter'],
  handler: async ({ actor, params, services }) => {
    const limit = count(params.NumberOfRecords, 'NumberOfRecords');
    const pages = await services.contacts.listMembers(actor, {
      libraryId: params.LibraryID,
      listId: params.ListID,
      filter: subscriptionFilter(params.Unsubscribed, params.Subscribed),
      ...(params.LastRecipientID !== undefined ? { lastRecipientId: params.LastRecipientID } : {}),
      ...(limit !== undefined ? { numberOfRecords: limit } : {}),
    });
    const edKeys = params.EmbeddedData?.split(',').map((k) => k.trim()).filter((k) => k !== '');
    const render = (c: ContactView) => memberJson(c, { edKeys, language: params.ExportLanguage, history: params.ContactHistory });
    return new RawDocument('application/json', Readable.from(jsonArray(pages, render)));
  },
});

defineRequest({
  name: 'removeContact',
  product: P,
  area: A,
  summary: `Removes one member from a list; the contact stays in the directory and in other lists. ${WHO_WRITE} A contact that is not on the list answers ESRV35|RecipientID.`,
  params: { LibraryID: required('Library holding the list'), ListID: id('CG', 'The list (CG_…)'), RecipientID: id('CID', 'The member (its ContactID)') },
  result: 'Result{"Success":1} — the number 1, like removeRecipient.',
  example: { Success: 1 },
  errors: ['InvalidParameter', 'Forbidden'],
  handler: async ({ actor, params, services }) => {
    await services.contacts.removeFromList(actor, params.LibraryID, params.ListID, params.RecipientID);
    return { Success: 1 };
  },
});

// ---------------------------------------------------------------------------------------------
// Directory contacts
// ---------------------------------------------------------------------------------------------

defineRequest({
  name: 'createContact',
  product: P,
  area: A,
  summary:
    'Adds a contact to the brand’s directory, and to a list when ListID (with LibraryID) is given; without them the contact is only in the directory. ' +
    'The directory holds one contact per e-mail address: an address it already has (compared without case) updates that contact with the fields sent (ED keys merged) and answers its ContactID. ' +
    `A contact without an e-mail address is always new. ${WHO_WRITE.replace('Needs', 'With a list: needs')} ${SAME_ERROR}`,
  params: {
    LibraryID: optional('Library holding the list (with ListID)'),
    ListID: optionalId('CG', 'Also add the contact to this list'),
    ...contactFieldParams,
  },
  result: 'Result{ContactID:"CID_…"}',
  example: { ContactID: EXAMPLE_CONTACT },
  errors: ['InvalidParameter', 'Forbidden'],
  handler: async ({ actor, params, services, embeddedData }) => ({
    ContactID: await services.contacts.createContact(actor, {
      ...(params.LibraryID !== undefined ? { libraryId: params.LibraryID } : {}),
      ...(params.ListID !== undefined ? { listId: params.ListID } : {}),
      fields: contactFields(params, params.Unsubscribed, embeddedData),
    }),
  }),
});

defineRequest({
  name: 'updateContact',
  product: P,
  area: A,
  summary:
    'Changes a directory contact: only the fields sent change; ED[key]=value pairs are merged into its embedded data (an empty value removes the key). ' +
    `LibraryID and ListID are accepted and ignored (the directory is brand-wide). ${WHO_DIRECTORY} ${SAME_ERROR}`,
  params: {
    ContactID: id('CID', 'The contact (CID_…)'),
    LibraryID: optional('Accepted and ignored'),
    ListID: optional('Accepted and ignored'),
    ...contactFieldParams,
  },
  result: 'Result{"Success":true}',
  example: { Success: true },
  errors: ['InvalidParameter', 'Forbidden'],
  handler: async ({ actor, params, services, embeddedData }) => {
    await services.contacts.updateContact(actor, params.ContactID, contactFields(params, params.Unsubscribed, embeddedData));
    return { Success: true };
  },
});

defineRequest({
  name: 'getContactByInfoFields',
  product: P,
  area: A,
  summary:
    'Finds directory contacts by e-mail address (without case) and/or external data reference (both given: both must match); one of them is required (ESRV35|Email otherwise). ' +
    `At most 1000 matches, oldest first. ListIDs names every list of the brand the contact is on. History=1 adds ContactHistory:[] (always empty: distributions mail panels, not directory contacts, so no mailing or response is attached to a contact; a panel member's history is in getRecipient). ${WHO_DIRECTORY}`,
  params: {
    Email: optional('E-mail address'),
    ExternalDataRef: optional('External data reference'),
    History: flag('1 adds ContactHistory'),
  },
  result: 'Result = [{ContactID, FirstName, LastName, Email, ExternalDataReference, Language, Unsubscribed:"0"|"1", EmbeddedData{…}|[], ListIDs[…], ContactHistory?}] — [] when nothing matches.',
  example: [
    {
      ContactID: EXAMPLE_CONTACT,
      FirstName: 'Ann',
      LastName: 'Lee',
      Email: 'ann@example.com',
      ExternalDataReference: 'A-17',
      Language: 'EN',
      Unsubscribed: '0',
      EmbeddedData: { Zip: '74534' },
      ListIDs: [EXAMPLE_LIST],
    },
  ],
  errors: ['InvalidParameter', 'Forbidden'],
  handler: async ({ actor, params, services }) => {
    const found = await services.contacts.findByInfo(actor, {
      ...(params.Email !== undefined ? { email: params.Email } : {}),
      ...(params.ExternalDataRef !== undefined ? { externalRef: params.ExternalDataRef } : {}),
    });
    return found.map((c) => ({
      ContactID: c.id,
      ...directoryFields(c),
      EmbeddedData: edOut(c.embeddedData),
      ListIDs: c.listIds,
      ...(params.History ? { ContactHistory: [] } : {}),
    }));
  },
});

defineRequest({
  name: 'getDirectoryContacts',
  product: P,
  area: A,
  summary:
    `One page of the brand’s directory, ordered by ContactID: at most ${DIRECTORY_PAGE_MAX} contacts (NumberOfRecords may ask for fewer). ` +
    'Paging: StartContactID is exclusive — send the last ContactID of the previous page; a page with fewer entries than asked for is the last. ' +
    'No NextStartContactID key is added, because Result is a map keyed by ContactID and an extra key would read as a contact. ' +
    'Subscribers=subscribed|unsubscribed filters by subscription; ModifiedOnOrAfter (YYYY-MM-DD or YYYY-MM-DD HH:MM:SS, in the brand’s time zone) keeps contacts changed since then; ' +
    `LastModified is in the brand’s time zone. EmbeddedData=1 adds each contact’s embedded data. An empty page is [] (PHP’s empty array). ${WHO_DIRECTORY}`,
  params: {
    Subscribers: optional('subscribed or unsubscribed; absent = all'),
    EmbeddedData: flag('1 adds EmbeddedData'),
    ModifiedOnOrAfter: optional('YYYY-MM-DD[ HH:MM:SS] in the brand’s time zone'),
    StartContactID: optionalId('CID', 'Start after this ContactID (exclusive)'),
    NumberOfRecords: optional(`Page size, 1–${DIRECTORY_PAGE_MAX} (default ${DIRECTORY_PAGE_MAX})`),
  },
  result: 'Result = {"CID_…":{ContactId, FirstName, LastName, Email, ExternalDataReference, Language, Unsubscribed:"0"|"1", LastModified, EmbeddedData?}, …} in ContactID order, or [] when empty.',
  example: {
    [EXAMPLE_CONTACT]: {
      ContactId: EXAMPLE_CONTACT,
      FirstName: 'Ann',
      LastName: 'Lee',
      Email: 'ann@example.com',
      ExternalDataReference: null,
      Language: 'EN',
      Unsubscribed: '0',
      LastModified: '2026-11-28 05:00:00',
    },
  },
  errors: ['InvalidParameter', 'Forbidden'],
  handler: async ({ actor, params, services }) => {
    const subscribers = params.Subscribers;
    if (subscribers !== undefined && subscribers !== 'subscribed' && subscribers !== 'unsubscribed') throw invalidParam('Subscribers');
    const page = await services.contacts.directoryPage(actor, {
      filter: subscribers ?? 'all',
      limit: count(params.NumberOfRecords, 'NumberOfRecords', DIRECTORY_PAGE_MAX) ?? DIRECTORY_PAGE_MAX,
      ...(params.ModifiedOnOrAfter !== undefined ? { modifiedOnOrAfter: params.ModifiedOnOrAfter } : {}),
      ...(params.StartContactID !== undefined ? { startAfter: params.StartContactID } : {}),
    });
    if (page.contacts.length === 0) return [];
    const out: Record<string, unknown> = {};
    for (const c of page.contacts) {
      out[c.id] = {
        ContactId: c.id,
        ...directoryFields(c),
        LastModified: formatDateTime(c.updatedAt, page.timeZone),
        ...(params.EmbeddedData ? { EmbeddedData: edOut(c.embeddedData) } : {}),
      };
    }
    return out;
  },
});
