import { useState } from 'preact/hooks';
import { api, get, roleAtLeast } from '../api.client.ts';
import type { InventoryItem, Me, Page, Sanction } from '../api.types.ts';
import { ActionForm, Badge, ErrorBox, Field, Link, Loading, Notice, Options, Pager, lastDays, useLoad, usePager } from '../components/ui.tsx';
import { fmtBytes, fmtInt, fmtTime, riskClass } from '../format.ts';

const SANCTIONS: Sanction[] = ['sanctioned', 'monitored', 'unsanctioned', 'blocked'];

export function AppsPage({ me }: { me: Me }) {
  const [days, setDays] = useState(90);
  const [sanction, setSanction] = useState('');
  const key = `${days}|${sanction}`;
  const pager = usePager(key);
  const list = useLoad(`inventory:${key}:${pager.cursor ?? ''}`, () => get<Page<InventoryItem>>('/v1/inventory', { days, sanction, limit: 50, cursor: pager.cursor }));
  const isAdmin = roleAtLeast(me.role, 'admin');
  const [pending, setPending] = useState<{ app: InventoryItem; status: Sanction } | null>(null);
  const [reason, setReason] = useState('');
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null);
  const [error, setError] = useState<unknown>(null);

  const decide = async () => {
    if (!pending) return;
    setError(null);
    try {
      await api('PUT', `/v1/apps/${encodeURIComponent(pending.app.appId)}/sanction`, { status: pending.status, reason: reason.trim() || `${pending.status} from the console` });
      setMessage({ text: `${pending.app.name ?? pending.app.appId} is now ${pending.status}.`, error: false });
      setPending(null);
      setReason('');
      list.reload();
    } catch (err) {
      setError(err);
    }
  };

  return (
    <>
      <div class="page-head">
        <h1 tabIndex={-1}>App inventory</h1>
        <label class="inline">
          Window{' '}
          <select value={days} onChange={(e) => setDays(Number(e.currentTarget.value))}>
            <Options values={[7, 30, 90, 365].map(lastDays)} />
          </select>
        </label>
        <label class="inline">
          Sanction{' '}
          <select value={sanction} onChange={(e) => setSanction(e.currentTarget.value)}>
            <option value="">any</option>
            <Options values={SANCTIONS} />
          </select>
        </label>
      </div>
      {message && <Notice tone={message.error ? 'error' : 'ok'}>{message.text}</Notice>}
      {pending && (
        <ActionForm
          key={`${pending.app.appId}:${pending.status}`}
          title={`${pending.status === 'sanctioned' ? 'Approve' : 'Block'} ${pending.app.name ?? pending.app.appId} for the organisation`}
          submitLabel={`Confirm: ${pending.status}`}
          tone={pending.status === 'blocked' ? 'danger' : 'primary'}
          error={error}
          onSubmit={decide}
          onCancel={() => setPending(null)}
        >
          <Field label="Reason (recorded in the audit log)">{(c) => <input {...c} value={reason} onInput={(e) => setReason(e.currentTarget.value)} required minLength={1} />}</Field>
        </ActionForm>
      )}
      <ErrorBox error={list.error} />
      {list.loading && !list.data && <Loading what="apps" />}
      {list.data && (
        <>
          <table class="data">
            <thead>
              <tr>
                <th scope="col">App</th>
                <th scope="col">Category</th>
                <th scope="col">Sanction</th>
                <th scope="col" class="num">Risk</th>
                <th scope="col" class="num">Users</th>
                <th scope="col" class="num">Requests</th>
                <th scope="col" class="num">Blocked</th>
                <th scope="col" class="num">Uploaded</th>
                <th scope="col">Last seen</th>
                {isAdmin && <th scope="col">Decision</th>}
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((a) => (
                <tr key={a.appId} data-app-id={a.appId}>
                  <td>
                    <Link href={`/findings?app=${encodeURIComponent(a.appId)}`}>{a.name ?? a.appId}</Link>
                    <div class="muted small">{a.vendor ?? a.appId}</div>
                  </td>
                  <td>{a.category ?? '—'}</td>
                  <td>
                    <Badge kind={a.sanction}>{a.sanction}</Badge>
                  </td>
                  <td class="num">
                    <span class={riskClass(a.riskScore)}>{a.riskScore?.toFixed(1) ?? '—'}</span>
                  </td>
                  <td class="num">{fmtInt(a.users)}</td>
                  <td class="num">{fmtInt(a.requests)}</td>
                  <td class="num">{fmtInt(a.blocked)}</td>
                  <td class="num">{fmtBytes(a.bytesOut)}</td>
                  <td class="nowrap">{fmtTime(a.lastSeen)}</td>
                  {isAdmin && (
                    <td class="nowrap">
                      <button type="button" class="small" disabled={a.sanction === 'sanctioned'} aria-label={`Approve ${a.name ?? a.appId}`} onClick={() => setPending({ app: a, status: 'sanctioned' })}>
                        Approve
                      </button>{' '}
                      <button type="button" class="small danger" disabled={a.sanction === 'blocked'} aria-label={`Block ${a.name ?? a.appId}`} onClick={() => setPending({ app: a, status: 'blocked' })}>
                        Block
                      </button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
          {list.data.items.length === 0 && <p class="muted">No AI app use in this window.</p>}
          <Pager label="Apps" page={pager.page} nextCursor={list.data.nextCursor} onNext={pager.next} onPrev={pager.prev} />
        </>
      )}
    </>
  );
}
