import { useState } from 'preact/hooks';
import { get } from '../api.client.ts';
import type { Finding, Overview, Page } from '../api.types.ts';
import { TrendChart } from '../components/trend.chart.tsx';
import { Badge, ErrorBox, Link, Loading, Options, Stat, lastDays, useLoad } from '../components/ui.tsx';
import { fmtBytes, fmtInt, fmtPct, fmtTime, riskClass, severityClass, findingSubject } from '../format.ts';

const WINDOWS = [7, 30, 90];

export function OverviewPage() {
  const [days, setDays] = useState(30);
  const overview = useLoad(`overview:${days}`, () => get<Overview>('/v1/overview', { days }));
  const newest = useLoad('newest', () => get<Page<Finding>>('/v1/findings', { status: 'open', limit: 8 }));
  const o = overview.data;
  return (
    <>
      <div class="page-head">
        <h1 tabIndex={-1}>Overview</h1>
        <label class="inline">
          Window{' '}
          <select value={days} onChange={(e) => setDays(Number(e.currentTarget.value))}>
            <Options values={WINDOWS.map(lastDays)} />
          </select>
        </label>
      </div>
      <ErrorBox error={overview.error} />
      {overview.loading && !o && <Loading what="the overview" />}
      {o && (
        <>
          <section class="stats" aria-label="Key figures">
            <Stat label="AI apps discovered" value={fmtInt(o.apps)} hint={`${fmtInt(o.unsanctionedApps)} unsanctioned or blocked`} />
            <Stat label="Active users" value={fmtInt(o.users)} hint={`since ${o.since}`} />
            <Stat label="Unsanctioned share" value={fmtPct(o.unsanctionedShare)} hint={`${fmtInt(o.unsanctionedRequests)} of ${fmtInt(o.requests)} requests`} tone={o.unsanctionedShare > 0.5 ? 'bad' : o.unsanctionedShare > 0.2 ? 'warn' : undefined} />
            <Stat label="Uploaded to AI apps" value={fmtBytes(o.bytesOut)} />
            <Stat label="Open findings" value={fmtInt(o.findings.byStatus.open)} hint={`${fmtInt(o.findings.highSeverityOpen)} with severity ≥ 70`} tone={o.findings.highSeverityOpen > 0 ? 'bad' : undefined} />
            <Stat label="Acknowledged" value={fmtInt(o.findings.byStatus.acknowledged)} hint={`${fmtInt(o.findings.byStatus.resolved)} resolved · ${fmtInt(o.findings.byStatus.suppressed)} suppressed`} />
          </section>
          <section class="panel" aria-labelledby="trend-h">
            <h2 id="trend-h">AI requests per day</h2>
            {o.daily.length === 0 ? (
              <p class="muted">No AI app use in this window.</p>
            ) : (
              <TrendChart
                kind="line"
                title="AI requests per day, all and to unsanctioned apps"
                labels={o.daily.map((d) => d.day)}
                series={[
                  { label: 'All AI requests', values: o.daily.map((d) => d.requests), color: '#4f8cff' },
                  { label: 'Unsanctioned / blocked apps', values: o.daily.map((d) => d.unsanctionedRequests), color: '#e5534b' },
                ]}
              />
            )}
          </section>
          <div class="grid2">
            <section class="panel" aria-labelledby="top-apps-h">
              <h2 id="top-apps-h">Top apps</h2>
              <table class="data">
                <thead>
                  <tr>
                    <th scope="col">App</th>
                    <th scope="col">Sanction</th>
                    <th scope="col" class="num">Risk</th>
                    <th scope="col" class="num">Users</th>
                    <th scope="col" class="num">Requests</th>
                  </tr>
                </thead>
                <tbody>
                  {o.topApps.map((a) => (
                    <tr key={a.appId}>
                      <td>
                        <Link href={`/findings?app=${encodeURIComponent(a.appId)}`}>{a.name ?? a.appId}</Link>
                      </td>
                      <td>
                        <Badge kind={a.sanction}>{a.sanction}</Badge>
                      </td>
                      <td class="num">
                        <span class={riskClass(a.riskScore)}>{a.riskScore?.toFixed(1) ?? '—'}</span>
                      </td>
                      <td class="num">{fmtInt(a.users)}</td>
                      <td class="num">{fmtInt(a.requests)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {o.topApps.length === 0 && <p class="muted">No apps yet.</p>}
            </section>
            <section class="panel" aria-labelledby="newest-h">
              <h2 id="newest-h">Newest open findings</h2>
              <ErrorBox error={newest.error} />
              {newest.data && newest.data.items.length === 0 && <p class="muted">No open findings.</p>}
              {newest.data && newest.data.items.length > 0 && (
                <table class="data">
                  <thead>
                    <tr>
                      <th scope="col" class="num">Sev</th>
                      <th scope="col">Finding</th>
                      <th scope="col">User</th>
                      <th scope="col">Last seen</th>
                    </tr>
                  </thead>
                  <tbody>
                    {newest.data.items.map((f) => (
                      <tr key={f.id}>
                        <td class="num">
                          <span class={severityClass(f.severity)}>{f.severity}</span>
                        </td>
                        <td>
                          <Link href={`/findings/${f.id}`}>
                            {f.title} · {findingSubject(f)}
                          </Link>
                        </td>
                        <td>{f.user ? <Link href={`/users/${encodeURIComponent(f.user)}`}>{f.user}</Link> : <span class="muted">organisation</span>}</td>
                        <td class="nowrap">{fmtTime(f.lastSeen)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
              <p>
                <Link href="/findings">All findings →</Link>
              </p>
            </section>
          </div>
        </>
      )}
    </>
  );
}
