import { parseEmbeddedData, type RecipientFields } from '../domain/recipients.ts';
import type { RecipientColumns } from '../store/schema.ts';

/** The recipient fields of a stored row, shared by panel members and directory contacts. */
export function recipientFieldsOf(row: RecipientColumns): RecipientFields {
  return {
    firstName: row.first_name,
    lastName: row.last_name,
    email: row.email,
    externalRef: row.external_ref,
    language: row.language,
    unsubscribed: row.unsubscribed === 1,
    embeddedData: parseEmbeddedData(row.embedded_data),
  };
}
