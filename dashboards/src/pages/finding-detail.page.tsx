import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import { api, get, roleAtLeast } from '../api.client.ts';
import { TRANSITIONS, type Finding, type FindingStatus, type HistoryEntry, type Me } from '../api.types.ts';
import { Badge, ErrorBox, Link, Loading, useLoad } from '../components/ui.tsx';
import { fmtBytes, fmtInt, fmtTime, severityClass, findingSubject } from '../format.ts';

type FindingWithHistory = Finding & { history: HistoryEntry[] };

const ACTION_LABEL: Record<FindingStatus, string> = { open: 'Reopen', acknowledged: 'Acknowledge', resolved: 'Resolve', suppressed: 'Suppress' };

function EvidenceValue({ value }: { value: unknown }) {
  if (value === null || value === undefined) return <span class="muted">—</span>;
  if (Array.isArray(value) && value.every((v) => typeof v !== 'object' || v === null)) {
    return <ul class="plain">{value.map((v, i) => <li key={i}>{String(v)}</li>)}</ul>;
  }
  if (typeof value === 'object') return <pre class="json">{JSON.stringify(value, null, 2)}</pre>;
  return <span>{String(value)}</span>;
}

export function FindingDetailPage({ me, id }: { me: Me; id: string }) {
  const finding = useLoad(`finding:${id}`, () => get<FindingWithHistory>(`/v1/findings/${encodeURIComponent(id)}`));
  const [reason, setReason] = useState('');
  const [note, setNote] = useState('');
  const [assignee, setAssignee] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const f = finding.data;
  const canTriage = roleAtLeast(me.role, 'analyst');

  const change = async (body: { status?: FindingStatus; assignee?: string | null; note?: string; reason?: string }) => {
    if ((body.status === 'resolved' || body.status === 'suppressed') && !body.reason) {
      setError(new Error(`To mark this finding ${body.status}, give a reason.`));
      document.getElementById('triage-reason')?.focus();
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await api<FindingWithHistory>('PATCH', `/v1/findings/${encodeURIComponent(id)}`, body);
      setReason('');
      setNote('');
      setAssignee(null);
      finding.reload();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const extras = () => ({ ...(reason.trim() ? { reason: reason.trim() } : {}), ...(note.trim() ? { note: note.trim() } : {}) });

  return (
    <>
      <p class="crumbs">
        <Link href="/findings">← Findings</Link>
      </p>
      {finding.loading && !f && <Loading what="the finding" />}
      <ErrorBox error={finding.error} />
      {!f && !finding.loading && <h1 tabIndex={-1}>Finding {id}</h1>}
      {f && (
        <>
          <div class="page-head">
            <h1 tabIndex={-1}>
              {f.title}: {findingSubject(f)}
            </h1>
            <span class={severityClass(f.severity)} title="severity 0–100">
              {f.severity}
            </span>
            <Badge kind={f.status}>{f.status}</Badge>
          </div>
          <div class="grid2">
            <section class="panel" aria-labelledby="facts-h">
              <h2 id="facts-h">Facts</h2>
              <dl class="facts">
                <dt>User</dt>
                <dd>{f.user ? <Link href={`/users/${encodeURIComponent(f.user)}`}>{f.user}</Link> : 'organisation-wide'}</dd>
                <dt>App</dt>
                <dd>
                  {findingSubject(f)} {f.appId && <span class="muted">({f.appId}{f.category ? `, ${f.category}` : ''})</span>} {f.sanction && <Badge kind={f.sanction}>{f.sanction}</Badge>}
                </dd>
                {f.key && (
                  <>
                    <dt>Key</dt>
                    <dd>{f.key}</dd>
                  </>
                )}
                <dt>Assignee</dt>
                <dd>{f.assignee ?? <span class="muted">unassigned</span>}</dd>
                <dt>First / last seen</dt>
                <dd>
                  {fmtTime(f.firstSeen)} → {fmtTime(f.lastSeen)}
                </dd>
                <dt>Requests</dt>
                <dd>{fmtInt(f.requests)}</dd>
                <dt>Uploaded / downloaded</dt>
                <dd>
                  {fmtBytes(f.bytesOut)} / {fmtBytes(f.bytesIn)}
                </dd>
                <dt>Frameworks</dt>
                <dd>
                  Zero Trust: {f.framework.zeroTrust} · NIST AI RMF: {f.framework.nistAiRmf}
                  {f.framework.mitreAtlas && ` · MITRE ATLAS ${f.framework.mitreAtlas}`}
                </dd>
                <dt>Id</dt>
                <dd>
                  <code>{f.id}</code>
                </dd>
              </dl>
            </section>
            <section class="panel" aria-labelledby="evidence-h">
              <h2 id="evidence-h">Evidence</h2>
              {Object.keys(f.evidence).length === 0 ? (
                <p class="muted">No evidence recorded.</p>
              ) : (
                <dl class="facts">
                  {Object.entries(f.evidence).map(([k, v]) => (
                    <Fragment key={k}>
                      <dt>{k}</dt>
                      <dd>
                        <EvidenceValue value={v} />
                      </dd>
                    </Fragment>
                  ))}
                </dl>
              )}
            </section>
          </div>
          {canTriage && (
            <section class="panel" aria-labelledby="triage-h">
              <h2 id="triage-h">Triage</h2>
              <div class="triage-form">
                <label>
                  Reason <span class="muted">(needed to resolve or suppress)</span>
                  <input id="triage-reason" value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
                </label>
                <label>
                  Note
                  <input id="triage-note" value={note} onInput={(e) => setNote(e.currentTarget.value)} />
                </label>
                <div class="actions">
                  {TRANSITIONS[f.status].map((s) => (
                    <button type="button" key={s} disabled={busy} class={s === 'acknowledged' ? 'primary' : ''} onClick={() => change({ status: s, ...extras() })}>
                      {ACTION_LABEL[s]}
                    </button>
                  ))}
                  <button type="button" class="ghost" disabled={busy || !note.trim()} onClick={() => change({ note: note.trim() })}>
                    Add note
                  </button>
                </div>
                <form
                  class="inline-form"
                  onSubmit={(e) => {
                    e.preventDefault();
                    const a = (assignee ?? '').trim();
                    void change({ assignee: a === '' ? null : a });
                  }}
                >
                  <label class="inline">
                    Assignee{' '}
                    <input value={assignee ?? f.assignee ?? ''} onInput={(e) => setAssignee(e.currentTarget.value)} placeholder="unassigned" />
                  </label>
                  <button type="submit" disabled={busy}>
                    Assign
                  </button>
                </form>
                <ErrorBox error={error} />
              </div>
            </section>
          )}
          <section class="panel" aria-labelledby="history-h">
            <h2 id="history-h">Triage history</h2>
            {f.history.length === 0 ? (
              <p class="muted">No triage yet.</p>
            ) : (
              <table class="data history">
                <thead>
                  <tr>
                    <th scope="col">When</th>
                    <th scope="col">Who</th>
                    <th scope="col">Change</th>
                    <th scope="col">Assignee</th>
                    <th scope="col">Reason</th>
                    <th scope="col">Note</th>
                  </tr>
                </thead>
                <tbody>
                  {f.history.map((h, i) => (
                    <tr key={i}>
                      <td class="nowrap">{fmtTime(h.ts)}</td>
                      <td>{h.actor}</td>
                      <td>{h.fromStatus === h.toStatus ? h.toStatus : `${h.fromStatus} → ${h.toStatus}`}</td>
                      <td>{h.assignee ?? '—'}</td>
                      <td>{h.reason}</td>
                      <td>{h.note}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
        </>
      )}
    </>
  );
}
