import { get } from '../api.client.ts';
import type { Agent } from '../api.types.ts';
import { Badge, ErrorBox, Link, Loading, useLoad } from '../components/ui.tsx';
import { fmtTime } from '../format.ts';

/** The agent identity registry (read-only here; it is managed through /v1/agents by admins). */
export function AgentsPage() {
  const agents = useLoad('agents', () => get<{ items: Agent[] }>('/v1/agents'));
  const now = Date.now();
  return (
    <>
      <div class="page-head">
        <h1 tabIndex={-1}>Agent identities</h1>
      </div>
      <p class="muted">
        Registered non-human identities with their sponsor, expiry and allowed apps. Unregistered or orphaned agents show up as{' '}
        <Link href="/findings?type=unregistered-agent">unregistered-agent</Link> and <Link href="/findings?type=orphaned-agent">orphaned-agent</Link> findings.
      </p>
      <ErrorBox error={agents.error} />
      {agents.loading && !agents.data && <Loading what="agents" />}
      {agents.data && agents.data.items.length === 0 && <p class="muted">No agents registered yet (POST /v1/agents, admin).</p>}
      {agents.data && agents.data.items.length > 0 && (
        <table class="data">
          <thead>
            <tr>
              <th scope="col">Identity</th>
              <th scope="col">Kind</th>
              <th scope="col">Sponsor</th>
              <th scope="col">Allowed apps</th>
              <th scope="col">Expires</th>
              <th scope="col">Description</th>
              <th scope="col">Updated</th>
            </tr>
          </thead>
          <tbody>
            {agents.data.items.map((a) => {
              const expired = a.expiresAt !== null && Date.parse(a.expiresAt) <= now;
              return (
                <tr key={a.id}>
                  <td>
                    <Link href={`/users/${encodeURIComponent(a.identity)}`}>{a.identity}</Link>
                  </td>
                  <td>{a.kind}</td>
                  <td>{a.sponsor || <Badge kind="blocked">no sponsor</Badge>}</td>
                  <td>{a.allowedApps.length ? a.allowedApps.join(', ') : <span class="muted">none</span>}</td>
                  <td class="nowrap">{expired ? <Badge kind="blocked">expired {fmtTime(a.expiresAt)}</Badge> : fmtTime(a.expiresAt)}</td>
                  <td>{a.description}</td>
                  <td class="nowrap">
                    {fmtTime(a.updatedAt)} <span class="muted">by {a.actor}</span>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </>
  );
}
