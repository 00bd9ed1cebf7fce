import type { MessageSummary, MessageView } from '../../../services/messages.ts';
import { MESSAGE_MAX_BYTES } from '../../../services/messages.ts';
import { defineRequest, optional, required } from '../registry.ts';

/**
 * Library messages. createLibraryMessage and getLibraryMessages are recorded (spec wire §4.14);
 * getLibraryMessage, updateLibraryMessage and deleteLibraryMessage are Insight additions (a
 * deleteLibraryMessage with LibraryID + MessageID appears, unrecorded, in the Qualtrics gem).
 */

const CATEGORY_HELP =
  'InviteEmails, ReminderEmails, ThankYouEmails, EndOfSurveyMessages, InactiveSurveyMessages, GeneralMessages, ValidationMessages or LookAndFeelMessages (case-insensitive; the getLibraryMessages keys such as INVITE are accepted too)';
// A body may be up to 1 MB of UTF-8; the parameter check only stops what can never fit, the service counts bytes.
const BODY_CHARS = MESSAGE_MAX_BYTES;

const libraryId = () => required('The library (UR_… own library, GR_… group library)', 100);
const messageId = () => required('The message (MS_…)', 100);

/** `{MessageID: name}`, or `[]` when the category is empty (PHP's empty array). */
function nameMap(messages: MessageSummary[]): Record<string, string> | [] {
  return messages.length === 0 ? [] : Object.fromEntries(messages.map((m) => [m.id, m.name]));
}

function messageResult(m: MessageView) {
  return { Message: { MessageID: m.id, LibraryID: m.libraryId, Category: m.category, Description: m.name, Language: m.language, Message: m.body } };
}

const messageExample = {
  Message: {
    MessageID: 'MS_0abcdefghijklmn',
    LibraryID: 'UR_0abcdefghijklmn',
    Category: 'InviteEmails',
    Description: 'Spring invitation',
    Language: 'EN',
    Message: '<p>Dear ${m://FirstName},</p><p>${l://SurveyLink?d=Take the survey}</p><p>${l://OptOutLink}</p>',
  },
};

defineRequest({
  name: 'createLibraryMessage',
  product: 'ControlPanel',
  area: 'Library',
  summary:
    'Adds a message (invitation, reminder, thank-you…) to a library. Message is HTML or text and may hold piped text such as ${l://SurveyURL}, ${l://SurveyLink?d=Take the survey}, ${l://OptOutLink}, ${m://FirstName}, ${e://Field/Name}. It is stored as sent (up to 1 MB) and sanitised whenever it is shown. Category is echoed as sent.',
  params: {
    LibraryID: libraryId(),
    Category: required(CATEGORY_HELP, 100),
    Name: required('The message name (its description), up to 255 characters', 1000),
    Message: required('The body: HTML or text with piped text, up to 1 MB', BODY_CHARS),
    Language: optional('Language code, default EN', 20),
  },
  result: 'LibraryID, MessageID, Description (the Name), Category (as sent)',
  example: { LibraryID: 'UR_0abcdefghijklmn', MessageID: 'MS_0abcdefghijklmn', Description: 'Newest Message', Category: 'InviteEmails' },
  errors: ['InvalidParameter'],
  async handler({ actor, params, services }) {
    const m = await services.messages.create(actor, params.LibraryID, { category: params.Category, name: params.Name, body: params.Message, language: params.Language });
    return { LibraryID: m.libraryId, MessageID: m.id, Description: m.name, Category: params.Category };
  },
});

defineRequest({
  name: 'getLibraryMessages',
  product: 'ControlPanel',
  area: 'Library',
  summary:
    'The messages of a library by category: INVITE, REMINDER, THANKYOU, ENDOFSURVEY, INACTIVESURVEY, GENERAL, LOOKANDFEEL, each a map of MessageID to name in name order, or [] when the category is empty. Validation messages are not listed here (the original server listed none); getLibraryMessage reads them.',
  params: { LibraryID: libraryId() },
  result: '{INVITE:{MS_…:name}|[], REMINDER, THANKYOU, ENDOFSURVEY, INACTIVESURVEY, GENERAL, LOOKANDFEEL}',
  example: {
    INVITE: { MS_0abcdefghijklmn: 'Spring invitation' },
    REMINDER: { MS_1abcdefghijklmn: 'Gentle reminder' },
    THANKYOU: [],
    ENDOFSURVEY: [],
    INACTIVESURVEY: [],
    GENERAL: [],
    LOOKANDFEEL: [],
  },
  errors: ['InvalidParameter'],
  async handler({ actor, params, services }) {
    const byKey = await services.messages.listByKey(actor, params.LibraryID);
    return Object.fromEntries(Object.entries(byKey).map(([key, list]) => [key, nameMap(list)]));
  },
});

defineRequest({
  name: 'getLibraryMessage',
  product: 'ControlPanel',
  area: 'Library',
  addition: true,
  summary: 'One message of a library with its body, exactly as stored (not sanitised: render it with care). Category is the create-time name.',
  params: { LibraryID: libraryId(), MessageID: messageId() },
  result: 'Message{MessageID, LibraryID, Category, Description, Language, Message}',
  example: messageExample,
  errors: ['InvalidParameter'],
  async handler({ actor, params, services }) {
    return messageResult(await services.messages.get(actor, params.LibraryID, params.MessageID));
  },
});

defineRequest({
  name: 'updateLibraryMessage',
  product: 'ControlPanel',
  area: 'Library',
  addition: true,
  summary: 'Changes a message: only the parameters sent change (Name, Message, Language, Category).',
  params: {
    LibraryID: libraryId(),
    MessageID: messageId(),
    Name: optional('New name', 1000),
    Message: optional('New body', BODY_CHARS),
    Language: optional('New language code', 20),
    Category: optional(`New category: ${CATEGORY_HELP}`, 100),
  },
  result: 'Message{…} as getLibraryMessage, showing the new values',
  example: messageExample,
  errors: ['InvalidParameter'],
  async handler({ actor, params, services }) {
    const m = await services.messages.update(actor, params.LibraryID, params.MessageID, {
      name: params.Name,
      body: params.Message,
      language: params.Language,
      category: params.Category,
    });
    return messageResult(m);
  },
});

defineRequest({
  name: 'deleteLibraryMessage',
  product: 'ControlPanel',
  area: 'Library',
  addition: true,
  summary: 'Deletes a message from a library. An unknown or foreign MessageID answers ESRV35|MessageID.',
  params: { LibraryID: libraryId(), MessageID: messageId() },
  result: 'Success: true',
  example: { Success: true },
  errors: ['InvalidParameter'],
  async handler({ actor, params, services }) {
    await services.messages.delete(actor, params.LibraryID, params.MessageID);
    return { Success: true };
  },
});
