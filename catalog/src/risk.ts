import type { RiskAttributes } from './app.schema.ts';

/**
 * Risk score 0–10 (higher is riskier) from the app's risk attributes. Every attribute adds points for
 * the risky value and half of them when unknown — not knowing is itself a risk, but less than a known
 * bad answer. Weights (sum 10):
 *
 *   trains on customer data by default   2.0  (yes 2.0, opt-out 1.0, unknown 1.0, no 0)
 *   retention                            1.5  (until-deleted 1.5, unknown 0.75, configurable 0.5, up-to-30-days 0.25, none 0)
 *   no SOC 2 report                      1.0
 *   no ISO 27001 certificate             1.0
 *   no GDPR DPA                          1.0
 *   no SSO                               1.0
 *   no SCIM                              0.5
 *   no enterprise tier                   0.5
 *   no audit logs                        0.5
 *   headquarters outside the EU/EEA, UK, US, CH, CA, JP, KR, AU, NZ (adequacy or comparable regimes)  1.0
 *
 * Rounded to one decimal.
 */
export function riskScore(r: RiskAttributes): number {
  let score = 0;
  score += { yes: 2, 'opt-out': 1, unknown: 1, no: 0 }[r.trainsOnCustomerData];
  score += { 'until-deleted': 1.5, unknown: 0.75, configurable: 0.5, 'up-to-30-days': 0.25, none: 0 }[r.retention];
  const missing = (v: 'yes' | 'no' | 'unknown', weight: number) => (v === 'no' ? weight : v === 'unknown' ? weight / 2 : 0);
  score += missing(r.soc2, 1) + missing(r.iso27001, 1) + missing(r.gdprDpa, 1) + missing(r.sso, 1);
  score += missing(r.scim, 0.5) + missing(r.enterpriseTier, 0.5) + missing(r.auditLogs, 0.5);
  if (r.hqCountry === 'unknown') score += 0.5;
  else if (!LOWER_RISK_JURISDICTIONS.has(r.hqCountry)) score += 1;
  return Math.round(Math.min(10, score) * 10) / 10;
}

/** EU/EEA members, and countries with an EU adequacy decision or comparable privacy law. */
const LOWER_RISK_JURISDICTIONS = new Set([
  'AT', 'BE', 'BG', 'HR', 'CY', 'CZ', 'DK', 'EE', 'FI', 'FR', 'DE', 'GR', 'HU', 'IE', 'IT', 'LV', 'LT', 'LU', 'MT', 'NL',
  'PL', 'PT', 'RO', 'SK', 'SI', 'ES', 'SE', 'IS', 'LI', 'NO', 'GB', 'CH', 'US', 'CA', 'JP', 'KR', 'AU', 'NZ', 'IL',
]);
