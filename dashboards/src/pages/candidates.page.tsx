import { useState } from 'preact/hooks';
import { api, get, roleAtLeast } from '../api.client.ts';
import type { Candidate, CatalogInfo, Me, Page } from '../api.types.ts';
import { ActionForm, Badge, ErrorBox, Field, Loading, Notice, Options, Pager, useLoad, usePager } from '../components/ui.tsx';
import { fmtInt, fmtTime } from '../format.ts';

type Review = { candidate: Candidate; action: 'confirm' | 'dismiss' };

export function CandidatesPage({ me }: { me: Me }) {
  const [status, setStatus] = useState('new');
  const pager = usePager(status);
  const list = useLoad(`candidates:${status}:${pager.cursor ?? ''}`, () => get<Page<Candidate>>('/v1/catalog/candidates', { status, limit: 50, cursor: pager.cursor }));
  const catalog = useLoad('catalog', () => get<CatalogInfo>('/v1/catalog'));
  const isAdmin = roleAtLeast(me.role, 'admin');
  const [review, setReview] = useState<Review | null>(null);
  const [form, setForm] = useState({ name: '', vendor: '', category: 'other', note: '', includeSubdomains: false });
  const [error, setError] = useState<unknown>(null);
  const [message, setMessage] = useState<string | null>(null);

  const start = (r: Review) => {
    setReview(r);
    setError(null);
    setForm({ name: r.candidate.host, vendor: '', category: 'other', note: '', includeSubdomains: false });
  };

  const submit = async () => {
    if (!review) return;
    const host = encodeURIComponent(review.candidate.host);
    setError(null);
    try {
      if (review.action === 'confirm') {
        const app = await api<{ id: string; name: string }>('POST', `/v1/catalog/candidates/${host}/confirm`, {
          name: form.name.trim() || review.candidate.host,
          ...(form.vendor.trim() ? { vendor: form.vendor.trim() } : {}),
          category: form.category,
          includeSubdomains: form.includeSubdomains,
          note: form.note.trim(),
        });
        setMessage(`${review.candidate.host} is now the custom app ${app.name} (${app.id}); its traffic classifies from now on.`);
      } else {
        await api('POST', `/v1/catalog/candidates/${host}/dismiss`, { note: form.note.trim() });
        setMessage(`${review.candidate.host} dismissed as not AI.`);
      }
      setReview(null);
      list.reload();
    } catch (err) {
      setError(err);
    }
  };

  const categories = Object.keys(catalog.data?.categories ?? { other: 0 }).sort();
  return (
    <>
      <div class="page-head">
        <h1 tabIndex={-1}>Candidate AI services</h1>
        <label class="inline">
          Review status{' '}
          <select value={status} onChange={(e) => setStatus(e.currentTarget.value)}>
            <option value="new">new</option>
            <option value="confirmed">confirmed</option>
            <option value="dismissed">dismissed</option>
            <option value="">any</option>
          </select>
        </label>
      </div>
      <p class="muted">Hosts the catalog does not know whose traffic shows AI signals (LLM API paths, AI SDK user agents, MCP endpoints, model-server ports, AI names).</p>
      {message && <Notice tone="ok">{message}</Notice>}
      {review && (
        <ActionForm
          key={`${review.candidate.host}:${review.action}`}
          title={`${review.action === 'confirm' ? 'Confirm' : 'Dismiss'} ${review.candidate.host}`}
          submitLabel={review.action === 'confirm' ? 'Confirm as AI app' : 'Dismiss: not AI'}
          tone={review.action === 'confirm' ? 'primary' : 'danger'}
          error={error}
          onSubmit={submit}
          onCancel={() => setReview(null)}
        >
          {review.action === 'confirm' && (
            <div class="form-grid">
              <Field label="App name">{(c) => <input {...c} value={form.name} onInput={(e) => setForm({ ...form, name: e.currentTarget.value })} />}</Field>
              <Field label="Vendor">{(c) => <input {...c} value={form.vendor} placeholder="unknown" onInput={(e) => setForm({ ...form, vendor: e.currentTarget.value })} />}</Field>
              <Field label="Category">
                {(c) => (
                  <select {...c} value={form.category} onChange={(e) => setForm({ ...form, category: e.currentTarget.value })}>
                    <Options values={categories} />
                  </select>
                )}
              </Field>
              <label class="check-label">
                <input type="checkbox" checked={form.includeSubdomains} onChange={(e) => setForm({ ...form, includeSubdomains: e.currentTarget.checked })} /> Include subdomains
              </label>
            </div>
          )}
          <Field label="Note">{(c) => <input {...c} value={form.note} onInput={(e) => setForm({ ...form, note: e.currentTarget.value })} />}</Field>
        </ActionForm>
      )}
      <ErrorBox error={list.error} />
      {list.loading && !list.data && <Loading what="candidates" />}
      {list.data && (
        <>
          <table class="data">
            <thead>
              <tr>
                <th scope="col">Host</th>
                <th scope="col" class="num">Score</th>
                <th scope="col">Signals</th>
                <th scope="col" class="num">Users</th>
                <th scope="col" class="num">Requests</th>
                <th scope="col">Sample</th>
                <th scope="col">Last seen</th>
                <th scope="col">Status</th>
                {isAdmin && <th scope="col">Review</th>}
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((c) => (
                <tr key={c.host} data-host={c.host}>
                  <td>
                    <strong>{c.host}</strong>
                    {c.domain && c.domain !== c.host && <div class="muted small">{c.domain}</div>}
                  </td>
                  <td class="num">{c.score}</td>
                  <td>
                    {c.signals.map((s) => (
                      <Badge key={s} kind="signal">
                        {s}
                      </Badge>
                    ))}
                  </td>
                  <td class="num">{fmtInt(c.users)}</td>
                  <td class="num">{fmtInt(c.requests)}</td>
                  <td class="sample">
                    {c.sampleUrl && <div class="mono small">{c.sampleUrl}</div>}
                    {c.sampleUserAgent && <div class="muted small">{c.sampleUserAgent}</div>}
                  </td>
                  <td class="nowrap">{fmtTime(c.lastSeen)}</td>
                  <td>
                    <Badge kind={c.status}>{c.status}</Badge>
                    {c.note && <div class="muted small">{c.note}</div>}
                  </td>
                  {isAdmin && (
                    <td class="nowrap">
                      {c.status === 'new' && (
                        <>
                          <button type="button" class="small" aria-label={`Confirm ${c.host} as an AI app`} onClick={() => start({ candidate: c, action: 'confirm' })}>
                            Confirm
                          </button>{' '}
                          <button type="button" class="small ghost" aria-label={`Dismiss ${c.host}`} onClick={() => start({ candidate: c, action: 'dismiss' })}>
                            Dismiss
                          </button>
                        </>
                      )}
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
          {list.data.items.length === 0 && <p class="muted">No candidates with this status.</p>}
          <Pager label="Candidates" page={pager.page} nextCursor={list.data.nextCursor} onNext={pager.next} onPrev={pager.prev} />
        </>
      )}
    </>
  );
}
