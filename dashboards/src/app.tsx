import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, credential, onUnauthorized } from './api.client.ts';
import type { Me } from './api.types.ts';
import { Link } from './components/ui.tsx';
import { match, navigate, useLocation } from './router.ts';
import { AgentsPage } from './pages/agents.page.tsx';
import { AppsPage } from './pages/apps.page.tsx';
import { CandidatesPage } from './pages/candidates.page.tsx';
import { FindingDetailPage } from './pages/finding-detail.page.tsx';
import { FindingsPage } from './pages/findings.page.tsx';
import { OverviewPage } from './pages/overview.page.tsx';
import { SignInPage } from './pages/signin.page.tsx';
import { UserPage, UsersPage } from './pages/users.page.tsx';

const NAV = [
  { href: '/', label: 'Overview', active: (p: string) => p === '/' || p === '/overview' },
  { href: '/findings', label: 'Findings', active: (p: string) => p.startsWith('/findings') },
  { href: '/apps', label: 'App inventory', active: (p: string) => p.startsWith('/apps') },
  { href: '/users', label: 'Users', active: (p: string) => p.startsWith('/users') },
  { href: '/candidates', label: 'Candidates', active: (p: string) => p.startsWith('/candidates') },
  { href: '/agents', label: 'Agents', active: (p: string) => p.startsWith('/agents') },
];

export function App() {
  const loc = useLocation();
  const [me, setMe] = useState<Me | null>(null);
  const [checking, setChecking] = useState(credential.get() !== null);

  const signOut = () => {
    credential.clear();
    setMe(null);
    navigate(`/signin?next=${encodeURIComponent(location.pathname + location.search)}`, { replace: true });
  };

  useEffect(() => onUnauthorized(signOut), []);

  useEffect(() => {
    if (!credential.get()) return;
    api<Me>('GET', '/v1/me').then(
      (m) => {
        setMe(m);
        setChecking(false);
      },
      (e: unknown) => {
        setChecking(false);
        if (!(e instanceof ApiError && e.status === 401)) setMe(null);
      },
    );
  }, []);

  useEffect(() => {
    // Moving between pages moves focus to the page heading, so keyboard and screen-reader users land on the new content.
    document.querySelector<HTMLElement>('main h1')?.focus();
    document.title = `${document.querySelector('main h1')?.textContent ?? 'Console'} · Shadow AI Watch`;
  }, [loc.path]);

  const path = loc.path.replace(/\/+$/, '') || '/';
  if (checking) return <p class="muted center">Checking the credential…</p>;
  if (!me || path === '/signin') {
    return (
      <SignInPage
        onSignedIn={(m) => {
          setMe(m);
          // Signing in on a deep link stays there; after a session ended, `next` says where the user was.
          const next = path === '/signin' ? new URLSearchParams(location.search).get('next') : location.pathname + location.search;
          const safe = next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/signin');
          if (path === '/signin') navigate(safe ? next : '/', { replace: true });
        }}
      />
    );
  }

  let page;
  let params: Record<string, string> | null;
  if (path === '/' || path === '/overview') page = <OverviewPage />;
  else if (path === '/findings') page = <FindingsPage me={me} query={loc.query} />;
  else if ((params = match('/findings/:id', path))) page = <FindingDetailPage me={me} id={params.id!} />;
  else if (path === '/apps') page = <AppsPage me={me} />;
  else if (path === '/users') page = <UsersPage />;
  else if ((params = match('/users/:user', path))) page = <UserPage user={params.user!} />;
  else if (path === '/candidates') page = <CandidatesPage me={me} />;
  else if (path === '/agents') page = <AgentsPage me={me} />;
  else
    page = (
      <>
        <h1 tabIndex={-1}>Not found</h1>
        <p>
          No console page at <code>{path}</code>. <Link href="/">Back to the overview</Link>.
        </p>
      </>
    );

  return (
    <div class="shell">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <span class="brand">Shadow AI Watch</span>
        <nav aria-label="Console">
          <ul>
            {NAV.map((n) => (
              <li key={n.href}>
                <Link href={n.href} aria-current={n.active(path) ? 'page' : undefined}>
                  {n.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <span class="who" title={`signed in via ${me.via}`}>
          {me.actor} · <strong>{me.role}</strong>
        </span>
        <button type="button" class="ghost" onClick={signOut}>
          Sign out
        </button>
      </header>
      <main id="main">{page}</main>
    </div>
  );
}
