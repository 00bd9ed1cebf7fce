import type { Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations describe the schema of their own time
type Db = Kysely<any>;

/**
 * Thank-you e-mails (services/thank-you.ts). An invitation may name the thank-you message of its
 * recipients (sendSurveyTo… ThankYouMessageID/ThankYouLibraryID/ThankYouSubject); a thank-you is a
 * distribution of its own (RequestType 'ThankYou', one recipient) that names the response it
 * thanks. The unique index makes "one thank-you per response" a property of the data: an enqueue
 * repeated by mistake fails instead of mailing twice (NULLs, every other distribution, do not clash).
 */
export async function up(db: Db): Promise<void> {
  for (const name of ['thank_you_message_id', 'thank_you_library_id', 'thank_you_subject', 'response_id']) {
    await db.schema.alterTable('distributions').addColumn(name, 'text').execute();
  }
  await db.schema.createIndex('distributions_response').unique().on('distributions').column('response_id').execute();
}

export async function down(db: Db): Promise<void> {
  await db.schema.dropIndex('distributions_response').ifExists().execute();
  for (const name of ['thank_you_message_id', 'thank_you_library_id', 'thank_you_subject', 'response_id']) {
    await db.schema.alterTable('distributions').dropColumn(name).execute();
  }
}
