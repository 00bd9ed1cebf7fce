import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { Actor } from '../../../services/actor.ts';
import type { Services } from '../../../services/index.ts';
import type { PanelView } from './load.ts';
import { csvLine } from '../../../domain/csv-output.ts';
import { SECTION } from './common.ts';
import { withPanel } from './panels.ts';

const FIXED = ['RecipientID', 'Email', 'FirstName', 'LastName', 'ExternalDataReference', 'Language', 'Unsubscribed'];
/** Members per query while streaming; memory holds one batch and the set of embedded-data keys. */
const BATCH = 2000;
/** Rows joined into one chunk before it is written, so a large panel is not a million tiny writes. */
const ROWS_PER_CHUNK = 500;

/**
 * The panel as CSV, in two streamed passes over the members: the first collects the embedded-data
 * keys (one column each, in order of first appearance), the second writes the rows. Nothing holds
 * the whole panel. Cells are defused against spreadsheet formula injection (see domain/csv-output.ts).
 */
async function* exportCsv(services: Services, actor: Actor, p: PanelView): AsyncGenerator<string> {
  const keys = new Set<string>();
  for await (const m of await services.panels.members(actor, p.libraryId, p.id, { batchSize: BATCH })) {
    for (const k of Object.keys(m.embeddedData)) keys.add(k);
  }
  const edKeys = [...keys];
  yield '\ufeff' + csvLine([...FIXED, ...edKeys], '\r\n');
  let chunk = '';
  let rows = 0;
  for await (const m of await services.panels.members(actor, p.libraryId, p.id, { batchSize: BATCH })) {
    chunk += csvLine([m.id, m.email, m.firstName, m.lastName, m.externalRef, m.language, m.unsubscribed ? '1' : '0', ...edKeys.map((k) => m.embeddedData[k])], '\r\n');
    if (++rows % ROWS_PER_CHUNK === 0) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}

/** A file name from the panel name that every browser and file system accepts. */
function fileName(p: PanelView): string {
  const base = p.name.replace(/[^A-Za-z0-9 ._-]+/g, '').trim().replace(/\s+/g, '-').slice(0, 60);
  return `${base || 'panel'}-${p.id}.csv`;
}

export async function exportPages(app: FastifyInstance, services: Services): Promise<void> {
  app.get(
    `${SECTION}/:libraryId/:panelId/export.csv`,
    withPanel(services, async (actor, p, _request, reply) =>
      reply
        .header('Cache-Control', 'no-store')
        .header('Content-Disposition', `attachment; filename="${fileName(p)}"`)
        .type('text/csv; charset=utf-8')
        .send(Readable.from(exportCsv(services, actor, p))),
    ),
  );
}
