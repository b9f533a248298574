import { StrictMode, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import './styles.css';
import { ActivitiesPage } from './pages/Activities';
import { ExecutionPage } from './pages/Execution';
import { ExecutionsPage } from './pages/Executions';
import { InboxPage } from './pages/Inbox';
import { NewStateMachinePage, StateMachinePage } from './pages/StateMachine';
import { StateMachinesPage } from './pages/StateMachines';
import { href, useHashRoute } from './ui';

type Theme = 'light' | 'dark';

function initialTheme(): Theme {
  const saved = localStorage.getItem('stepwise.console.theme');
  if (saved === 'light' || saved === 'dark') return saved;
  return window.matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

function Page(props: { path: string; query: URLSearchParams }) {
  const { path, query } = props;
  const parts = path.split('/').filter((p) => p !== '');
  const [section, id] = parts;
  const decoded = id !== undefined ? decodeURIComponent(id) : undefined;
  if (section === undefined || (section === 'state-machines' && decoded === undefined))
    return <StateMachinesPage />;
  if (section === 'state-machines' && decoded === 'new') return <NewStateMachinePage />;
  if (section === 'state-machines' && decoded !== undefined)
    return <StateMachinePage key={decoded} arn={decoded} />;
  if (section === 'executions' && decoded !== undefined) return <ExecutionPage key={decoded} arn={decoded} />;
  if (section === 'executions') return <ExecutionsPage query={query} />;
  if (section === 'activities') return <ActivitiesPage />;
  if (section === 'inbox') return <InboxPage />;
  return (
    <section>
      <h1>Not found</h1>
      <p>
        <a href={href('/')}>Back to the state machines</a>
      </p>
    </section>
  );
}

function App() {
  const { path, query } = useHashRoute();
  const [theme, setTheme] = useState<Theme>(initialTheme);
  useEffect(() => {
    document.documentElement.dataset['theme'] = theme;
    localStorage.setItem('stepwise.console.theme', theme);
  }, [theme]);
  const section = path.split('/').filter((p) => p !== '')[0] ?? 'state-machines';
  const link = (to: string, label: string, key: string) => (
    <a href={href(to)} aria-current={section === key ? 'page' : undefined}>
      {label}
    </a>
  );
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <nav className="topnav" aria-label="Main">
        <span className="brand">Stepwise</span>
        {link('/', 'State machines', 'state-machines')}
        {link('/executions', 'Executions', 'executions')}
        {link('/activities', 'Activities', 'activities')}
        {link('/inbox', 'Human tasks', 'inbox')}
        <span className="spacer" />
        <button
          type="button"
          className="button small"
          onClick={() => setTheme(theme === 'dark' ? 'light' : 'dark')}
          aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}
        >
          {theme === 'dark' ? '☀ Light' : '☾ Dark'}
        </button>
      </nav>
      <main id="main">
        <Page path={path} query={query} />
      </main>
    </>
  );
}

const root = document.getElementById('root');
if (root !== null)
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
