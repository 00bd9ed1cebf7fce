/**
 * getSingleResponseHTML's page (api-v2.md §2.5): one response as a complete HTML document, the
 * response's details first, then question by question in export order with each column's answer,
 * then embedded data. The recorded page began with an XHTML `DOCTYPE html PUBLIC`; its layout was
 * not recorded, so this one is Insight's.
 *
 * The page is inert whatever the survey or the respondent wrote: question and choice texts are
 * reduced to plain text, every value is escaped, there is no script, no external resource, and a
 * Content-Security-Policy that forbids loading anything.
 */
import { xmlText } from '../xml.ts';
import { plainText } from '../survey/export-columns.ts';
import type { QsfSurvey } from '../survey/qsf.ts';
import { rowCells } from './legacy-cells.ts';
import type { Cell, LegacyExport, StoredResponse } from './legacy-export.ts';

export interface SingleResponsePage {
  surveyName: string;
  survey: QsfSurvey;
  /** The export as recodes (Labels=0) and as texts (Labels=1), same columns. */
  recodes: LegacyExport;
  labels: LegacyExport;
  response: StoredResponse;
}

const DOCTYPE = '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">';
const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; form-action 'none'; base-uri 'none'";
const STYLE =
  'body{font-family:sans-serif;margin:2em;color:#222}h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.5em}' +
  'table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #bbb;padding:.3em .6em;text-align:left;vertical-align:top}' +
  'th{background:#f2f2f2;font-weight:normal}.empty{color:#777}';

const esc = (s: string): string => xmlText(s);

/** Plain text of QSF HTML; plainText throws on an out-of-range character reference, so tags are then stripped alone. */
function textOf(html: string): string {
  try {
    return plainText(html).replace(/\s+/g, ' ').trim();
  } catch {
    return html.replace(/<[^>]*>/g, '').replace(/\s+/g, ' ').trim();
  }
}

function cellText(recode: Cell, label: Cell): string {
  if (recode === null || recode === '') return '';
  // A cell Labels=1 rewrote holds choice HTML from the definition; anything else is the respondent's own text.
  return label !== recode && label !== null ? textOf(String(label)) : String(recode);
}

function row(head: string, value: string): string {
  return `<tr><th scope="row">${esc(head)}</th><td>${value === '' ? '<span class="empty">(no answer)</span>' : esc(value)}</td></tr>`;
}

export function singleResponseHtml(p: SingleResponsePage): string {
  const cols = p.recodes.columns;
  const recodes = rowCells(p.recodes.cells, p.response);
  const labels = rowCells(p.labels.cells, p.response);
  const meta: string[] = [];
  const embedded: string[] = [];
  const questions: string[] = [];
  let open: { qid: string; rows: string[] } | undefined;
  const flush = (): void => {
    if (!open) return;
    const q = p.survey.questions.get(open.qid);
    const title = textOf(q ? q.questionText || q.questionDescription : open.qid) || open.qid;
    const tag = q?.dataExportTag ? `${q.dataExportTag}. ` : '';
    questions.push(`<h2>${esc(tag + title)}</h2>\n<table>${open.rows.join('')}</table>`);
    open = undefined;
  };
  cols.forEach((col, i) => {
    const value = cellText(recodes[i] ?? null, labels[i] ?? null);
    if (col.kind === 'meta') meta.push(row(col.label, value));
    else if (col.kind === 'embedded' || col.kind === 'location') embedded.push(row(col.label, value));
    else {
      const qid = col.source.qid ?? '';
      if (open?.qid !== qid) {
        flush();
        open = { qid, rows: [] };
      }
      open.rows.push(row(subLabel(col.label, p.survey, qid), value));
    }
  });
  flush();
  const title = `Response ${p.response.responseId}`;
  return (
    `${DOCTYPE}\n<html xmlns="http://www.w3.org/1999/xhtml" lang="en"><head>` +
    `<meta http-equiv="Content-Type" content="text/html; charset=utf-8" />` +
    `<meta http-equiv="Content-Security-Policy" content="${CSP}" />` +
    `<meta name="robots" content="noindex" />` +
    `<title>${esc(title)}</title><style type="text/css">${STYLE}</style></head>\n<body>\n` +
    `<h1>${esc(p.surveyName)}: ${esc(title)}</h1>\n<table>${meta.join('')}</table>\n` +
    questions.join('\n') +
    (embedded.length > 0 ? `\n<h2>Embedded data</h2>\n<table>${embedded.join('')}</table>` : '') +
    '\n</body></html>\n'
  );
}

/** A column's label without the question text it starts with (`Text-Choice` → `Choice`). */
function subLabel(label: string, survey: QsfSurvey, qid: string): string {
  const q = survey.questions.get(qid);
  const plain = textOf(label);
  for (const head of [q?.questionDescription ?? '', textOf(q?.questionText ?? '')]) {
    if (head !== '' && plain === head) return 'Answer';
    if (head !== '' && plain.startsWith(`${head}-`)) return plain.slice(head.length + 1);
  }
  return plain === '' ? qid : plain;
}
