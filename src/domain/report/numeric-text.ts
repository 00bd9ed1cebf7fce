/**
 * Which text-entry questions take numbers. QsfSurvey does not carry validation, so this reads the
 * QSF document itself: a TE question whose content validation is ValidNumber (the rule validation.ts
 * enforces on respondents) is summarised with statistics instead of words.
 */
import { isObj, list, str } from '../survey/loose-json.ts';

export function numericTextQuestions(qsfDoc: unknown): Set<string> {
  const out = new Set<string>();
  if (!isObj(qsfDoc)) return out;
  for (const el of list(qsfDoc.SurveyElements)) {
    if (!isObj(el) || str(el.Element) !== 'SQ' || !isObj(el.Payload)) continue;
    const p = el.Payload;
    if (str(p.QuestionType) !== 'TE') continue;
    const settings = isObj(p.Validation) && isObj(p.Validation.Settings) ? p.Validation.Settings : {};
    if (str(settings.Type) !== 'None' && str(settings.ContentType) === 'ValidNumber') out.add(str(p.QuestionID) || str(el.PrimaryAttribute));
  }
  return out;
}
