import { useEffect, useState } from 'preact/hooks';
import { api, get, roleAtLeast, withQuery } from '../api.client.ts';
import { FINDING_STATUSES, type BulkResult, type Finding, type FindingStatus, type FindingType, type Me, type Page } from '../api.types.ts';
import { Badge, ErrorBox, Link, Loading, Notice, Options, Pager, useLoad, usePager } from '../components/ui.tsx';
import { fmtInt, fmtTime, severityClass, findingSubject } from '../format.ts';
import { navigate } from '../router.ts';

const PAGE_SIZE = 50;
const FILTERS = ['status', 'minSeverity', 'type', 'app', 'user', 'sort'] as const;
type Filters = Record<(typeof FILTERS)[number], string>;
const SEVERITIES = [
  { value: '', label: 'any severity' },
  { value: '40', label: '≥ 40 medium' },
  { value: '60', label: '≥ 60 high' },
  { value: '80', label: '≥ 80 critical' },
];

let findingTypes: Promise<FindingType[]> | null = null;
/** Finding types change only with a release: fetched once per page load. */
const loadTypes = () => (findingTypes ??= get<{ items: FindingType[] }>('/v1/finding-types').then((r) => r.items, (e: unknown) => ((findingTypes = null), Promise.reject(e))));

export function FindingsPage({ me, query }: { me: Me; query: URLSearchParams }) {
  const filters = Object.fromEntries(FILTERS.map((f) => [f, query.get(f) ?? ''])) as Filters;
  const filterKey = FILTERS.map((f) => filters[f]).join('|');
  const pager = usePager(filterKey);
  const list = useLoad(`findings:${filterKey}:${pager.cursor ?? ''}`, () =>
    get<Page<Finding>>('/v1/findings', { ...filters, sort: filters.sort || 'last_seen', limit: PAGE_SIZE, cursor: pager.cursor }),
  );
  // The API counts the matches on the first page only; later pages of the same filters show that count.
  const [counted, setCounted] = useState<{ filterKey: string; total: number } | null>(null);
  useEffect(() => {
    if (list.data?.total !== undefined) setCounted({ filterKey, total: list.data.total });
  }, [list.data, filterKey]);
  const total = counted?.filterKey === filterKey ? counted.total : undefined;
  const types = useLoad('finding-types', loadTypes);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [draft, setDraft] = useState({ app: filters.app, user: filters.user });
  const [reason, setReason] = useState('');
  // Back/forward changes the URL's filters under the form: the text inputs follow.
  useEffect(() => setDraft({ app: filters.app, user: filters.user }), [filters.app, filters.user]);
  const [outcome, setOutcome] = useState<{ text: string; error: boolean } | null>(null);
  const [busy, setBusy] = useState(false);
  const canTriage = roleAtLeast(me.role, 'analyst');
  const items = list.data?.items ?? [];

  const setFilter = (patch: Partial<Filters>) => {
    const next = { ...filters, ...patch };
    setSelected(new Set());
    navigate(withQuery('/findings', next), { replace: true });
  };

  const toggle = (id: string) => {
    const s = new Set(selected);
    if (s.has(id)) s.delete(id);
    else s.add(id);
    setSelected(s);
  };
  const allOnPage = items.length > 0 && items.every((f) => selected.has(f.id));

  const bulk = async (status: FindingStatus) => {
    if ((status === 'resolved' || status === 'suppressed') && !reason.trim()) {
      setOutcome({ text: `To mark findings ${status}, give a reason.`, error: true });
      document.getElementById('bulk-reason')?.focus();
      return;
    }
    setBusy(true);
    setOutcome(null);
    try {
      const r = await api<BulkResult>('POST', '/v1/findings/bulk', { ids: [...selected], status, ...(reason.trim() ? { reason: reason.trim() } : {}) });
      const refused = r.results.filter((x) => !x.ok);
      setOutcome({
        text: `${r.updated} finding${r.updated === 1 ? '' : 's'} now ${status}.${refused.length ? ` ${refused.length} refused: ${refused[0]!.message}` : ''}`,
        error: refused.length > 0,
      });
      setSelected(new Set());
      setReason('');
      list.reload();
    } catch (e) {
      setOutcome({ text: e instanceof Error ? e.message : String(e), error: true });
    } finally {
      setBusy(false);
    }
  };

  const open = (f: Finding) => navigate(`/findings/${f.id}`);

  return (
    <>
      <div class="page-head">
        <h1 tabIndex={-1}>Findings</h1>
      </div>
      <form
        class="filters"
        aria-label="Filter findings"
        onSubmit={(e) => {
          e.preventDefault();
          setFilter({ app: draft.app.trim(), user: draft.user.trim() });
        }}
      >
        <label>
          Status
          <select name="status" value={filters.status} onChange={(e) => setFilter({ status: e.currentTarget.value })}>
            <option value="">any status</option>
            <Options values={FINDING_STATUSES} />
          </select>
        </label>
        <label>
          Severity
          <select name="minSeverity" value={filters.minSeverity} onChange={(e) => setFilter({ minSeverity: e.currentTarget.value })}>
            <Options values={SEVERITIES} />
          </select>
        </label>
        <label>
          Type
          <select name="type" value={filters.type} onChange={(e) => setFilter({ type: e.currentTarget.value })}>
            <option value="">any type</option>
            <Options values={(types.data ?? []).map((t) => ({ value: t.type, label: t.title }))} />
          </select>
        </label>
        <label>
          App id
          <input name="app" value={draft.app} placeholder="e.g. chatgpt" onInput={(e) => setDraft({ ...draft, app: e.currentTarget.value })} />
        </label>
        <label>
          User
          <input name="user" value={draft.user} placeholder="exact name" onInput={(e) => setDraft({ ...draft, user: e.currentTarget.value })} />
        </label>
        <label>
          Sort
          <select name="sort" value={filters.sort || 'last_seen'} onChange={(e) => setFilter({ sort: e.currentTarget.value })}>
            <option value="last_seen">newest activity</option>
            <option value="severity">highest severity</option>
          </select>
        </label>
        <div class="filter-actions">
          <button type="submit">Apply</button>
          <button
            type="button"
            class="ghost"
            onClick={() => {
              setDraft({ app: '', user: '' });
              setFilter({ status: '', minSeverity: '', type: '', app: '', user: '', sort: '' });
            }}
          >
            Clear
          </button>
        </div>
      </form>

      {canTriage && (
        <section class="bulkbar" aria-label="Bulk triage">
          <span>
            <strong>{selected.size}</strong> selected
          </span>
          <label class="inline">
            Reason{' '}
            <input id="bulk-reason" value={reason} placeholder="needed to resolve or suppress" onInput={(e) => setReason(e.currentTarget.value)} />
          </label>
          <button type="button" disabled={busy || selected.size === 0} onClick={() => bulk('acknowledged')}>
            Acknowledge
          </button>
          <button type="button" disabled={busy || selected.size === 0} onClick={() => bulk('resolved')}>
            Resolve
          </button>
          <button type="button" disabled={busy || selected.size === 0} onClick={() => bulk('suppressed')}>
            Suppress
          </button>
          <button type="button" class="ghost" disabled={busy || selected.size === 0} onClick={() => bulk('open')}>
            Reopen
          </button>
        </section>
      )}
      {outcome && <Notice tone={outcome.error ? 'error' : 'ok'}>{outcome.text}</Notice>}
      <ErrorBox error={list.error} />
      {list.loading && !list.data && <Loading what="findings" />}
      {list.data && (
        <>
          <table class="data findings" aria-describedby="findings-help">
            <caption id="findings-help" class="muted">
              Tab to a row and press Enter to open it{canTriage ? '; Space on its checkbox selects it for bulk triage' : ''}.
            </caption>
            <thead>
              <tr>
                {canTriage && (
                  <th scope="col" class="check">
                    <input
                      type="checkbox"
                      aria-label="Select all findings on this page"
                      checked={allOnPage}
                      onChange={() => setSelected(allOnPage ? new Set() : new Set(items.map((f) => f.id)))}
                    />
                  </th>
                )}
                <th scope="col" class="num">Sev</th>
                <th scope="col">Status</th>
                <th scope="col">Finding</th>
                <th scope="col">App</th>
                <th scope="col">User</th>
                <th scope="col" class="num">Requests</th>
                <th scope="col">Last seen</th>
              </tr>
            </thead>
            <tbody>
              {items.map((f) => (
                <tr
                  key={f.id}
                  tabIndex={0}
                  class={`clickable ${selected.has(f.id) ? 'selected' : ''}`}
                  data-finding-id={f.id}
                  aria-label={`${f.title}, ${findingSubject(f)}, ${f.user || 'organisation'}, severity ${f.severity}, ${f.status}`}
                  onKeyDown={(e) => {
                    if (e.key === 'Enter' && e.target === e.currentTarget) open(f);
                  }}
                  onClick={(e) => {
                    if (!(e.target instanceof HTMLElement) || !e.target.closest('a, input, button, label')) open(f);
                  }}
                >
                  {canTriage && (
                    <td class="check">
                      <input type="checkbox" aria-label={`Select ${f.title} for ${f.user || 'organisation'} on ${findingSubject(f)}`} checked={selected.has(f.id)} onChange={() => toggle(f.id)} />
                    </td>
                  )}
                  <td class="num">
                    <span class={severityClass(f.severity)}>{f.severity}</span>
                  </td>
                  <td>
                    <Badge kind={f.status}>{f.status}</Badge>
                  </td>
                  <td>
                    <Link href={`/findings/${f.id}`}>{f.title}</Link>
                    {f.key && <span class="muted"> · {f.key}</span>}
                  </td>
                  <td>
                    {findingSubject(f)} <Badge kind={f.sanction}>{f.sanction}</Badge>
                  </td>
                  <td>{f.user ? <Link href={`/users/${encodeURIComponent(f.user)}`}>{f.user}</Link> : <span class="muted">organisation</span>}</td>
                  <td class="num">{fmtInt(f.requests)}</td>
                  <td class="nowrap">{fmtTime(f.lastSeen)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {items.length === 0 && <p class="muted">No findings match these filters.</p>}
          <Pager
            label="Findings"
            page={pager.page}
            shown={items.length}
            pageSize={PAGE_SIZE}
            total={total}
            nextCursor={list.data.nextCursor}
            onNext={(c) => {
              setSelected(new Set());
              pager.next(c);
            }}
            onPrev={() => {
              setSelected(new Set());
              pager.prev();
            }}
          />
        </>
      )}
    </>
  );
}
