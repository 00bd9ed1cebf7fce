/**
 * The read-only outline of a stored QSF: blocks with their questions, the flow, and what this
 * server keeps without supporting. QSF text is HTML written by whoever made the file: it is
 * reduced to plain text here and escaped by the template, never rendered as markup.
 */
import sanitizeHtml from 'sanitize-html';
import { readQsf, type QsfBlock, type QsfFlowItem, type QsfQuestion, type QsfSurvey } from '../../../domain/survey/qsf.ts';
import { html, type Html } from '../../html.ts';

/** SurveyElements kinds a QSF export carries; anything else is kept as it came but means nothing here. */
const KNOWN_ELEMENTS = new Set(['BL', 'FL', 'SQ', 'SO', 'SCO', 'PROJ', 'STAT', 'QC', 'RS', 'NT', 'QO', 'CS', 'TR', 'DM', 'PL', 'QG', 'SF']);
/** Question types the respondent engine is meant to run. */
const SUPPORTED_QUESTION_TYPES = new Set(['MC', 'TE', 'Matrix', 'DB', 'Slider', 'RO', 'CS', 'SBS', 'Timing', 'Meta', 'Captcha', 'FileUpload', 'Draw', 'HeatMap', 'HotSpot', 'PGR', 'GAP', 'DD', 'SS']);
/** Flow element types with a meaning here. */
const KNOWN_FLOW_TYPES = new Set(['Block', 'Standard', 'Branch', 'EmbeddedData', 'Randomizer', 'EndSurvey', 'Group', 'WebService', 'Authenticator', 'Conjoint', 'Quota', 'TableOfContents', 'Reference']);

export interface Outline {
  survey: QsfSurvey;
  unknownElements: string[];
  unsupportedQuestions: QsfQuestion[];
  unknownFlowTypes: string[];
}

/** The entities QSF text commonly carries, turned back into characters (the template escapes them again). */
function decodeEntities(s: string): string {
  const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };
  return s.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, e: string) => {
    if (e[0] === '#') {
      const code = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : '';
    }
    return named[e.toLowerCase()] ?? whole;
  });
}

/** QSF HTML as plain text: no tags, no script or style contents, line breaks kept as breaks. */
export function plainText(qsfHtml: string): string {
  const withBreaks = qsfHtml.replace(/<br\s*\/?>/gi, '\n').replace(/<\/(p|div|li|h[1-6])>/gi, '\n');
  const stripped = sanitizeHtml(withBreaks, { allowedTags: [], allowedAttributes: {}, nonTextTags: ['script', 'style', 'textarea', 'noscript', 'title'] });
  return decodeEntities(stripped).replace(/[ \t]+/g, ' ').replace(/\n\s*\n+/g, '\n').trim();
}

function elementKinds(qsf: string): string[] {
  const doc = JSON.parse(qsf.charCodeAt(0) === 0xfeff ? qsf.slice(1) : qsf) as { SurveyElements?: unknown };
  const kinds = Array.isArray(doc.SurveyElements) ? doc.SurveyElements.map((e) => (e && typeof e === 'object' ? String((e as { Element?: unknown }).Element ?? '') : '')) : [];
  return [...new Set(kinds)];
}

function flowTypes(items: QsfFlowItem[], into: Set<string>): Set<string> {
  for (const item of items) {
    into.add(item.type);
    flowTypes(item.flow, into);
  }
  return into;
}

/** Reads the stored QSF (already checked at import, so a parse failure is a real fault and propagates). */
export function outlineOf(qsf: string): Outline {
  const doc: unknown = JSON.parse(qsf.charCodeAt(0) === 0xfeff ? qsf.slice(1) : qsf);
  const survey = readQsf(doc);
  return {
    survey,
    unknownElements: elementKinds(qsf).filter((k) => !KNOWN_ELEMENTS.has(k)),
    unsupportedQuestions: [...survey.questions.values()].filter((q) => !SUPPORTED_QUESTION_TYPES.has(q.questionType)),
    unknownFlowTypes: [...flowTypes(survey.flow, new Set())].filter((t) => !KNOWN_FLOW_TYPES.has(t)),
  };
}

function typeOf(q: QsfQuestion): string {
  return [q.questionType || '?', q.selector, q.subSelector].filter((s) => s !== '').join(' / ');
}

function questionItem(q: QsfQuestion | undefined, id: string): Html {
  if (!q) return html`<li><div class="question-meta"><span>${id}</span></div><p class="question-text hint">This block refers to a question the file does not contain.</p></li>`;
  return html`<li id="q-${q.questionId}"><div class="question-meta"><span><strong>${q.questionId}</strong></span>
    <span>Export tag: <code>${q.dataExportTag || '—'}</code></span><span>Type: ${typeOf(q)}</span></div>
    <p class="question-text">${plainText(q.questionText) || '(no question text)'}</p></li>`;
}

function blockSection(b: QsfBlock, questions: Map<string, QsfQuestion>): Html {
  const items = b.elements.flatMap((e) => (e.type === 'Question' && e.questionId !== undefined ? [questionItem(questions.get(e.questionId), e.questionId)] : []));
  const breaks = b.elements.filter((e) => e.type === 'Page Break').length;
  const title = plainText(b.description) || (b.type === 'Trash' ? 'Trash / Unused Questions' : b.id);
  return html`<section class="outline-block" aria-labelledby="b-${b.id}">
    <h3 id="b-${b.id}">${title}</h3>
    <p class="hint">Block <code>${b.id}</code>${b.type ? ` · ${b.type}` : ''} · ${items.length} ${items.length === 1 ? 'question' : 'questions'}${breaks ? ` · ${breaks} page ${breaks === 1 ? 'break' : 'breaks'}` : ''}</p>
    ${items.length ? html`<ol class="questions">${items}</ol>` : html`<p>No questions.</p>`}
  </section>`;
}

function flowLabel(item: QsfFlowItem, blocks: Map<string, QsfBlock>): Html {
  const block = item.id !== undefined ? blocks.get(item.id) : undefined;
  const detail = block ? plainText(block.description) || block.id : (item.id ?? '');
  const fields = item.embeddedData.map((f) => (f.value !== undefined && f.value !== '' ? `${f.field} = ${plainText(f.value)}` : f.field));
  return html`<span class="flow-type">${item.type || '?'}</span>${detail ? html`: ${detail}` : ''}${fields.length ? html` (${fields.join(', ')})` : ''}`;
}

function flowList(items: QsfFlowItem[], blocks: Map<string, QsfBlock>): Html {
  return html`<ul>${items.map((i) => html`<li>${flowLabel(i, blocks)}${i.flow.length ? flowList(i.flow, blocks) : ''}</li>`)}</ul>`;
}

function warnings(o: Outline): Html {
  const lines: string[] = [
    ...o.unknownElements.map((k) => `Survey element type “${k}”`),
    ...o.unsupportedQuestions.map((q) => `Question ${q.questionId} of type “${typeOf(q)}”`),
    ...o.unknownFlowTypes.map((t) => `Survey flow element type “${t}”`),
  ];
  if (!lines.length) return html``;
  return html`<div class="warning" id="unsupported"><h2>Kept but not supported</h2>
    <p>These parts of the file are stored and exported unchanged, but this server does not use them:</p>
    <ul>${lines.map((l) => html`<li>${l}</li>`)}</ul></div>`;
}

/** The blocks, flow and warnings of the outline page. */
export function outlineBody(o: Outline): Html {
  const blocks = new Map(o.survey.blocks.map((b) => [b.id, b]));
  return html`${warnings(o)}
    <h2>Blocks and questions</h2>
    ${o.survey.blocks.length ? o.survey.blocks.map((b) => blockSection(b, o.survey.questions)) : html`<p>The survey has no blocks.</p>`}
    <h2>Survey flow</h2>
    ${o.survey.flow.length ? html`<div class="flow">${flowList(o.survey.flow, blocks)}</div>` : html`<p>The survey has no flow.</p>`}`;
}
