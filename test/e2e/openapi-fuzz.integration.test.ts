import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDir, startService, tempDir, TEST_ADMIN_TOKEN, type Service } from '../support/service.ts';

/**
 * Schemathesis (a test tool from PyPI, installed by .ci/run) generates requests for every operation of
 * the OpenAPI document, valid and invalid, and in a stateful phase chains them (create → read → delete).
 * Every check runs: no 5xx; status codes, media types, headers and bodies as documented; invalid
 * requests refused; wrong methods answered 405 with `Allow`; requests without valid credentials
 * refused. One is left out: "schema-valid request accepted", because some refusals follow rules the
 * schema cannot state (an opaque cursor, an expiry in the past, a body id equal to the path id).
 * Deterministic: a fixed seed and derandomised generation.
 * SIEM destinations are left out: a generated destination plus its test-send would connect to whatever
 * address was generated, and tests here reach only loopback.
 */
describe('the API under generated requests', () => {
  const dir = tempDir('fuzz');
  let service: Service;

  beforeAll(async () => {
    service = await startService({ dataDir: join(dir, 'data'), env: {
        REPORT_ENABLED: 'false',
        LOG_LEVEL: 'warn',
        // The bad-credential checks would otherwise lock the test's address out after 20 failures, and
        // every later request would be a 429 that tests nothing.
        AUTH_MAX_FAILURES_PER_MINUTE: '1000000',
      } });
  });

  afterAll(async () => {
    await service?.stop();
    removeDir(dir);
  });

  it('answers every generated request as its OpenAPI document says, never with a server error', () => {
    const version = spawnSync('st', ['--version'], { encoding: 'utf8' });
    if (version.error || version.status !== 0) {
      throw new Error('schemathesis (`st`) is not installed: `pip install schemathesis==4.32.5` (.ci/run does)');
    }
    const run = spawnSync(
      'st',
      [
        'run', `${service.url}/docs/json`,
        '--header', `Authorization: Bearer ${TEST_ADMIN_TOKEN}`,
        '--checks', 'all',
        '--exclude-checks', 'positive_data_acceptance',
        '--exclude-path-regex', '^/v1/destinations',
        '--max-examples', '10',
        '--seed', '20261126',
        '--generation-deterministic',
        '--workers', '1',
        '--request-timeout', '30',
        '--no-color',
      ],
      // Its example database goes to the test's directory, not the repository.
      { encoding: 'utf8', timeout: 600_000, cwd: dir },
    );
    const out = `${run.stdout}\n${run.stderr}`;
    expect(out).toMatch(/Tested: \d{2}/);
    expect(out).not.toMatch(/Rate limited/);
    expect(run.status, out.slice(-6000)).toBe(0);
  });
});
