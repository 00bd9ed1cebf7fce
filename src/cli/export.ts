import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { FILE_FORMATS, isFileFormat, type FileFormat } from '../domain/export/files.ts';
import type { Services } from '../services/index.ts';

export interface ExportCommand {
  username: string;
  surveyId: string;
  format: string;
  out: string;
  labels: boolean;
}

export class ExportUsageError extends Error {}

/**
 * `insight export`: one survey's responses to a file, streamed from the database (memory stays
 * flat), with a progress bar on a terminal. The file appears under its name only once complete: it
 * is written beside it first, so an interrupted export never leaves a truncated file behind.
 */
export async function exportResponses(services: Services, cmd: ExportCommand, progress: NodeJS.WriteStream = process.stderr): Promise<number> {
  if (!isFileFormat(cmd.format)) throw new ExportUsageError(`--format must be one of ${Object.keys(FILE_FORMATS).join(', ')}, not ${JSON.stringify(cmd.format)}`);
  const format: FileFormat = cmd.format;
  const actor = await services.accounts.actorForUsername(cmd.username);
  if (!actor) throw new ExportUsageError(`no active user ${JSON.stringify(cmd.username)}`);
  const total = await services.responses.countForExport(actor, cmd.surveyId);
  const partial = `${cmd.out}.partial`;
  const bar = progressBar(progress, total);
  try {
    const { rows } = await services.responses.exportFile(actor, cmd.surveyId, format, { labels: cmd.labels }, createWriteStream(partial), bar.update);
    bar.done(rows);
    await rename(partial, cmd.out);
    return rows;
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
}

/** A one-line bar redrawn in place on a terminal; elsewhere just the final line. */
function progressBar(stream: NodeJS.WriteStream, total: number) {
  const width = 30;
  let last = -1;
  return {
    update: (rows: number): void => {
      if (!stream.isTTY) return;
      const share = total > 0 ? Math.min(1, rows / total) : 1;
      const filled = Math.round(share * width);
      if (filled === last && rows !== total) return;
      last = filled;
      stream.write(`\r[${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${String(Math.round(share * 100)).padStart(3)}%  ${rows.toLocaleString('en-US')}/${total.toLocaleString('en-US')} responses`);
    },
    done: (rows: number): void => {
      stream.write(`${stream.isTTY ? '\r' : ''}Exported ${rows.toLocaleString('en-US')} responses.${' '.repeat(width)}\n`);
    },
  };
}
