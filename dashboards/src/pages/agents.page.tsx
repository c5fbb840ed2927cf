import { useState } from 'preact/hooks';
import { api, ApiError, get, roleAtLeast } from '../api.client.ts';
import { AGENT_KINDS, type Agent, type AgentInput, type Me } from '../api.types.ts';
import { ActionForm, Badge, ErrorBox, Field, Link, Loading, Notice, Options, useLoad } from '../components/ui.tsx';
import { fmtTime } from '../format.ts';

/** The form's text, as typed: turned into the API's body only on submit, so the API's validation speaks. */
interface Draft {
  identity: string;
  kind: AgentInput['kind'];
  sponsor: string;
  /** `YYYY-MM-DDTHH:mm` in UTC, as the console shows every time */
  expires: string;
  allowedApps: string;
  description: string;
}

type Editing = { mode: 'register' } | { mode: 'edit'; agent: Agent } | { mode: 'remove'; agent: Agent };

const EMPTY: Draft = { identity: '', kind: 'service-account', sponsor: '', expires: '', allowedApps: '', description: '' };

function draftOf(a: Agent): Draft {
  return {
    identity: a.identity,
    kind: a.kind,
    sponsor: a.sponsor,
    expires: a.expiresAt ? new Date(a.expiresAt).toISOString().slice(0, 16) : '',
    allowedApps: a.allowedApps.join(', '),
    description: a.description,
  };
}

function inputOf(d: Draft): AgentInput {
  // A value the browser could not parse goes to the API as typed, so its validation error names it.
  const ms = d.expires ? Date.parse(`${d.expires}Z`) : NaN;
  return {
    identity: d.identity.trim(),
    kind: d.kind,
    sponsor: d.sponsor.trim(),
    expiresAt: d.expires ? (Number.isNaN(ms) ? d.expires : new Date(ms).toISOString()) : null,
    allowedApps: d.allowedApps.split(/[\s,]+/).filter(Boolean),
    description: d.description.trim(),
  };
}

/** The agent identity registry; admins register, edit and remove agents here (`/v1/agents`). */
export function AgentsPage({ me }: { me: Me }) {
  const agents = useLoad('agents', () => get<{ items: Agent[] }>('/v1/agents'));
  const canManage = roleAtLeast(me.role, 'admin');
  const [editing, setEditing] = useState<Editing | null>(null);
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const now = Date.now();

  const start = (e: Editing) => {
    setEditing(e);
    setError(null);
    setMessage(null);
    setDraft(e.mode === 'register' ? EMPTY : draftOf(e.agent));
  };

  const submit = async () => {
    if (!editing) return;
    setBusy(true);
    setError(null);
    try {
      if (editing.mode === 'remove') {
        await api('DELETE', `/v1/agents/${encodeURIComponent(editing.agent.id)}`);
        setMessage(`${editing.agent.identity} removed from the registry; its AI traffic now raises unregistered-agent findings.`);
      } else if (editing.mode === 'edit') {
        const saved = await api<Agent>('PUT', `/v1/agents/${encodeURIComponent(editing.agent.id)}`, inputOf(draft));
        setMessage(`${saved.identity} updated.`);
      } else {
        const saved = await api<Agent>('POST', '/v1/agents', inputOf(draft));
        setMessage(`${saved.identity} registered.`);
      }
      setEditing(null);
      agents.reload();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const fields = error instanceof ApiError ? error.fieldErrors : {};
  // A clash is about the identity, though the API reports it as a conflict rather than a field.
  if (error instanceof ApiError && error.status === 409 && editing?.mode !== 'remove') fields.identity ??= error.message;
  const set = (patch: Partial<Draft>) => setDraft({ ...draft, ...patch });
  const items = agents.data?.items ?? [];

  return (
    <>
      <div class="page-head">
        <h1 tabIndex={-1}>Agent identities</h1>
        {canManage && (
          <button type="button" class="primary" disabled={editing?.mode === 'register'} onClick={() => start({ mode: 'register' })}>
            Register agent
          </button>
        )}
      </div>
      <p class="muted">
        Registered non-human identities with their sponsor, expiry and allowed apps. Unregistered or orphaned agents show up as{' '}
        <Link href="/findings?type=unregistered-agent">unregistered-agent</Link> and <Link href="/findings?type=orphaned-agent">orphaned-agent</Link> findings.
      </p>
      {message && <Notice tone="ok">{message}</Notice>}
      {editing && editing.mode !== 'remove' && (
        <ActionForm
          key={editing.mode === 'edit' ? editing.agent.id : 'register'}
          title={editing.mode === 'edit' ? `Edit agent ${editing.agent.identity}` : 'Register an agent'}
          submitLabel={editing.mode === 'edit' ? 'Save changes' : 'Register'}
          busy={busy}
          error={error}
          onSubmit={submit}
          onCancel={() => setEditing(null)}
        >
          <div class="form-grid">
            <Field label="Identity" hint="the user name or address its traffic carries" error={fields.identity}>
              {(c) => <input {...c} name="identity" required value={draft.identity} onInput={(e) => set({ identity: e.currentTarget.value })} />}
            </Field>
            <Field label="Kind" error={fields.kind}>
              {(c) => (
                <select {...c} name="kind" value={draft.kind} onChange={(e) => set({ kind: e.currentTarget.value as Draft['kind'] })}>
                  <Options values={AGENT_KINDS} />
                </select>
              )}
            </Field>
            <Field label="Sponsor" hint="the accountable human; empty: nobody (orphaned)" error={fields.sponsor}>
              {(c) => <input {...c} name="sponsor" value={draft.sponsor} onInput={(e) => set({ sponsor: e.currentTarget.value })} />}
            </Field>
            <Field label="Expires (UTC)" hint="empty: never" error={fields.expiresAt}>
              {(c) => <input {...c} name="expires" type="datetime-local" value={draft.expires} onInput={(e) => set({ expires: e.currentTarget.value })} />}
            </Field>
          </div>
          <Field label="Allowed apps" hint="catalog app ids, separated by commas or spaces; empty: none" error={fields.allowedApps}>
            {(c) => <input {...c} name="allowedApps" value={draft.allowedApps} placeholder="e.g. openai-api, anthropic-api" onInput={(e) => set({ allowedApps: e.currentTarget.value })} />}
          </Field>
          <Field label="Description" error={fields.description}>
            {(c) => <input {...c} name="description" value={draft.description} onInput={(e) => set({ description: e.currentTarget.value })} />}
          </Field>
        </ActionForm>
      )}
      {editing?.mode === 'remove' && (
        <ActionForm key={`remove:${editing.agent.id}`} title={`Remove agent ${editing.agent.identity}`} submitLabel="Confirm: remove" tone="danger" busy={busy} error={error} onSubmit={submit} onCancel={() => setEditing(null)}>
          <p>
            Its registration, sponsor and allowlist are deleted (the audit log keeps them). If <strong>{editing.agent.identity}</strong> still calls AI services, it becomes an unregistered agent.
          </p>
        </ActionForm>
      )}
      <ErrorBox error={agents.error} />
      {agents.loading && !agents.data && <Loading what="agents" />}
      {agents.data && items.length === 0 && <p class="muted">No agents registered yet{canManage ? '.' : ' (an admin registers them).'}</p>}
      {items.length > 0 && (
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
              {canManage && <th scope="col">Manage</th>}
            </tr>
          </thead>
          <tbody>
            {items.map((a) => {
              const expired = a.expiresAt !== null && Date.parse(a.expiresAt) <= now;
              return (
                <tr key={a.id} data-agent-id={a.id} data-identity={a.identity}>
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
                  {canManage && (
                    <td class="nowrap">
                      <button type="button" class="small" aria-label={`Edit ${a.identity}`} onClick={() => start({ mode: 'edit', agent: a })}>
                        Edit
                      </button>{' '}
                      <button type="button" class="small danger" aria-label={`Remove ${a.identity}`} onClick={() => start({ mode: 'remove', agent: a })}>
                        Remove
                      </button>
                    </td>
                  )}
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </>
  );
}
