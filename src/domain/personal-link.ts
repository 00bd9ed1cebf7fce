/**
 * Personal survey links (spec §5.2): `Q_DL=<distribution ID without "EMD_">_<survey ID without
 * "SV_">_<recipient ID>`, e.g. `Q_DL=6nduaXKdnt1BBSl_7VhhXvVZfJo4j41_MLRP_8rbSYZkfwm4IWjz`. The value
 * only names the three objects; whether they belong together is the service's check.
 */

export interface PersonalLink {
  distributionId: string;
  surveyId: string;
  recipientId: string;
}

const Q_DL = /^([0-9A-Za-z]{15})_([0-9A-Za-z]{15})_(MLRP_[0-9A-Za-z]{15})$/;
const DISTRIBUTION = /^EMD_[0-9A-Za-z]{15}$/;
const SURVEY = /^SV_[0-9A-Za-z]{15}$/;
const RECIPIENT = /^MLRP_[0-9A-Za-z]{15}$/;

/** The Q_DL value for one recipient of a distribution; throws on IDs of the wrong shape (a caller bug). */
export function encodePersonalLink(link: PersonalLink): string {
  if (!DISTRIBUTION.test(link.distributionId) || !SURVEY.test(link.surveyId) || !RECIPIENT.test(link.recipientId)) {
    throw new Error('encodePersonalLink: malformed ID');
  }
  return `${link.distributionId.slice(4)}_${link.surveyId.slice(3)}_${link.recipientId}`;
}

/** The IDs a Q_DL value names, or null when it is not one (surrounding blanks are ignored). */
export function decodePersonalLink(value: unknown): PersonalLink | null {
  if (typeof value !== 'string' || value.length > 100) return null;
  const m = Q_DL.exec(value.trim());
  if (!m) return null;
  return { distributionId: `EMD_${m[1] as string}`, surveyId: `SV_${m[2] as string}`, recipientId: m[3] as string };
}
