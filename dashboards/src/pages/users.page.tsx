import { useState } from 'preact/hooks';
import { ApiError, get } from '../api.client.ts';
import type { Finding, Overview, Page, UserUsage } from '../api.types.ts';
import { TrendChart } from '../components/trend.chart.tsx';
import { Badge, ErrorBox, Link, Loading, useLoad } from '../components/ui.tsx';
import { fmtBytes, fmtInt, fmtTime, severityClass, findingSubject } from '../format.ts';
import { navigate } from '../router.ts';

/** Look a user up by name; the heaviest users of the last 30 days are listed to start from. */
export function UsersPage() {
  const [name, setName] = useState('');
  const overview = useLoad('overview:30', () => get<Overview>('/v1/overview', { days: 30 }));
  return (
    <>
      <div class="page-head">
        <h1 tabIndex={-1}>Users</h1>
      </div>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          if (name.trim()) navigate(`/users/${encodeURIComponent(name.trim())}`);
        }}
      >
        <label>
          User name
          <input id="user-search" value={name} onInput={(e) => setName(e.currentTarget.value)} placeholder="as in the logs, e.g. alice" />
        </label>
        <div class="filter-actions">
          <button type="submit">Show usage</button>
        </div>
      </form>
      <section class="panel" aria-labelledby="top-users-h">
        <h2 id="top-users-h">Most active users, last 30 days</h2>
        <ErrorBox error={overview.error} />
        {overview.loading && !overview.data && <Loading what="users" />}
        {overview.data && (
          <table class="data">
            <thead>
              <tr>
                <th scope="col">User</th>
                <th scope="col" class="num">Apps</th>
                <th scope="col" class="num">Requests</th>
                <th scope="col" class="num">Uploaded</th>
              </tr>
            </thead>
            <tbody>
              {overview.data.topUsers.map((u) => (
                <tr key={u.user}>
                  <td>
                    <Link href={`/users/${encodeURIComponent(u.user)}`}>{u.user}</Link>
                  </td>
                  <td class="num">{fmtInt(u.apps)}</td>
                  <td class="num">{fmtInt(u.requests)}</td>
                  <td class="num">{fmtBytes(u.bytesOut)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {overview.data?.topUsers.length === 0 && <p class="muted">No user activity in the last 30 days.</p>}
      </section>
    </>
  );
}

export function UserPage({ user }: { user: string }) {
  const usage = useLoad(`usage:${user}`, () => get<UserUsage>(`/v1/users/${encodeURIComponent(user)}/usage`));
  const findings = useLoad(`user-findings:${user}`, () => get<Page<Finding>>('/v1/findings', { user, sort: 'severity', limit: 20 }));
  const u = usage.data;
  const days = u ? [...new Set(u.daily.map((d) => d.day))].sort() : [];
  const apps = u ? u.apps.slice(0, 8) : [];
  const notFound = usage.error instanceof ApiError && usage.error.status === 404;
  return (
    <>
      <p class="crumbs">
        <Link href="/users">← Users</Link>
      </p>
      <div class="page-head">
        <h1 tabIndex={-1}>User {user}</h1>
      </div>
      {notFound ? <p class="notice">No AI app use recorded for {user}.</p> : <ErrorBox error={usage.error} />}
      {usage.loading && !u && <Loading what="usage" />}
      {u && (
        <>
          <section class="panel" aria-labelledby="daily-h">
            <h2 id="daily-h">Requests per day by app</h2>
            <TrendChart
              kind="bar"
              stacked
              title={`Requests per day by app for ${user}`}
              labels={days}
              series={apps.map((a) => ({ label: a.name ?? a.appId, values: days.map((d) => u.daily.filter((x) => x.day === d && x.appId === a.appId).reduce((n, x) => n + x.requests, 0)) }))}
            />
          </section>
          <section class="panel" aria-labelledby="user-apps-h">
            <h2 id="user-apps-h">Apps</h2>
            <table class="data">
              <thead>
                <tr>
                  <th scope="col">App</th>
                  <th scope="col">Sanction</th>
                  <th scope="col" class="num">Days</th>
                  <th scope="col" class="num">Requests</th>
                  <th scope="col" class="num">Blocked</th>
                  <th scope="col" class="num">Uploaded</th>
                  <th scope="col">Last seen</th>
                </tr>
              </thead>
              <tbody>
                {u.apps.map((a) => (
                  <tr key={a.appId}>
                    <td>{a.name ?? a.appId}</td>
                    <td>
                      <Badge kind={a.sanction}>{a.sanction}</Badge>
                    </td>
                    <td class="num">{a.days}</td>
                    <td class="num">{fmtInt(a.requests)}</td>
                    <td class="num">{fmtInt(a.blocked)}</td>
                    <td class="num">{fmtBytes(a.bytesOut)}</td>
                    <td class="nowrap">{fmtTime(a.lastSeen)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        </>
      )}
      <section class="panel" aria-labelledby="user-findings-h">
        <h2 id="user-findings-h">Findings, highest severity first</h2>
        <ErrorBox error={findings.error} />
        {findings.data && findings.data.items.length === 0 && <p class="muted">No findings for {user}.</p>}
        {findings.data && findings.data.items.length > 0 && (
          <table class="data">
            <thead>
              <tr>
                <th scope="col" class="num">Sev</th>
                <th scope="col">Status</th>
                <th scope="col">Finding</th>
                <th scope="col">Last seen</th>
              </tr>
            </thead>
            <tbody>
              {findings.data.items.map((f) => (
                <tr key={f.id}>
                  <td class="num">
                    <span class={severityClass(f.severity)}>{f.severity}</span>
                  </td>
                  <td>
                    <Badge kind={f.status}>{f.status}</Badge>
                  </td>
                  <td>
                    <Link href={`/findings/${f.id}`}>
                      {f.title} · {findingSubject(f)}
                    </Link>
                  </td>
                  <td class="nowrap">{fmtTime(f.lastSeen)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <p>
          <Link href={`/findings?user=${encodeURIComponent(user)}`}>Triage all of {user}'s findings →</Link>
        </p>
      </section>
    </>
  );
}
