import { getPublicSuffix } from 'tldts';
import type { CatalogFileError, LoadedFiles } from './catalog.ts';
import { SHARED_INFRASTRUCTURE } from './shared-infrastructure.ts';
import { CUSTOM_APP_PREFIX } from './app.schema.ts';

/** Custom apps are linted together with the shipped ones under this pseudo file name. */
export const CUSTOM_FILE = 'custom:';

/**
 * Rejects a regex that can backtrack catastrophically: a quantified group that itself contains a
 * quantifier (`(a+)+`, `(.*)*`, `(x|y+){2,}`). Conservative on purpose: signature paths never need it.
 */
const NESTED_QUANTIFIER = /\((?:[^()\\]|\\.)*[+*}](?:[^()\\]|\\.)*\)[+*{]/;

export function lintApps(files: LoadedFiles): CatalogFileError[] {
  const problems: CatalogFileError[] = [...files.errors];
  const ids = new Map<string, string>();
  const hosts = new Map<string, string>();
  const asnOwners = new Map<number, string>();

  for (const { file, app } of files.apps) {
    const add = (message: string) => problems.push({ file, message });
    if (file.startsWith(CUSTOM_FILE)) {
      if (!app.id.startsWith(CUSTOM_APP_PREFIX)) add(`a custom app id must start with "${CUSTOM_APP_PREFIX}"`);
    } else {
      if (file !== `${app.id}.json`) add(`file name must be ${app.id}.json`);
      if (app.id.startsWith(CUSTOM_APP_PREFIX)) add(`id prefix "${CUSTOM_APP_PREFIX}" is reserved for an organisation's own apps`);
    }
    const seenId = ids.get(app.id);
    if (seenId) add(`duplicate id "${app.id}" (also in ${seenId})`);
    else ids.set(app.id, file);

    for (const d of app.domains) {
      const owner = hosts.get(d.host);
      if (owner && owner !== app.id) add(`domain ${d.host} is already claimed by ${owner}`);
      else if (owner) add(`domain ${d.host} listed twice`);
      hosts.set(d.host, app.id);

      const suffix = getPublicSuffix(d.host, { allowPrivateDomains: true });
      if (d.match !== 'pattern' && suffix === d.host) add(`domain ${d.host} is a public suffix`);
      if (d.match === 'suffix' && SHARED_INFRASTRUCTURE.has(d.host)) {
        add(`domain ${d.host} is shared infrastructure: list specific hosts with match "exact"`);
      }
    }

    for (const asn of app.asns) {
      const owner = asnOwners.get(asn);
      if (owner && owner !== app.id) add(`AS${asn} is already claimed by ${owner}`);
      asnOwners.set(asn, app.id);
    }

    for (const [i, s] of app.signatures.entries()) {
      const where = `signatures.${i}`;
      const covered = app.domains.some((d) => d.host === s.host || (d.match === 'suffix' && s.host.endsWith(`.${d.host}`)));
      if (!covered) add(`${where}: host ${s.host} is not one of the app's domains`);
      for (const [field, source] of [['path', s.path], ['userAgent', s.userAgent]] as const) {
        if (source === undefined) continue;
        try {
          new RegExp(source);
        } catch (e) {
          add(`${where}.${field}: invalid regex: ${(e as Error).message}`);
          continue;
        }
        if (NESTED_QUANTIFIER.test(source)) add(`${where}.${field}: nested quantifier can backtrack catastrophically`);
      }
    }
  }
  return problems;
}
