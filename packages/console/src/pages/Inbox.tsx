/**
 * Human tasks: the activities marked as answered by people, their waiting tasks (listed without
 * claiming them), and the tasks this browser has claimed. Claiming is GetActivityTask with the
 * worker name `console:<user>` (recorded in ActivityStarted); approving is SendTaskSuccess,
 * rejecting SendTaskFailure. Claimed tokens are kept in this browser's storage until answered.
 */
import { useState } from 'react';
import { ApiError, ext, sfn, shortName } from '../api';
import type { ActivityTask } from '../api';
import { ErrorBanner, JsonBlock, formatDate, href, usePolling } from '../ui';

interface Claimed {
  taskToken: string;
  input: string;
  activityArn: string;
  claimedAt: number;
}

const CLAIMED_KEY = 'stepwise.console.claimed';
const USER_KEY = 'stepwise.console.user';

function loadClaimed(): Claimed[] {
  try {
    const value: unknown = JSON.parse(localStorage.getItem(CLAIMED_KEY) ?? '[]');
    return Array.isArray(value) ? (value as Claimed[]) : [];
  } catch {
    return [];
  }
}

function errorText(e: unknown): string {
  return e instanceof ApiError ? `${e.type}: ${e.message}` : e instanceof Error ? e.message : String(e);
}

export function InboxPage() {
  const [user, setUser] = useState(() => localStorage.getItem(USER_KEY) ?? 'operator');
  const [claimed, setClaimedState] = useState<Claimed[]>(loadClaimed);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState<string>();
  const setClaimed = (next: Claimed[]): void => {
    localStorage.setItem(CLAIMED_KEY, JSON.stringify(next));
    setClaimedState(next);
  };
  const {
    data,
    error: loadError,
    reload,
  } = usePolling(
    async (signal) => {
      const { activityArns } = await ext<{ activityArns: string[] }>('ListHumanActivities', {}, signal);
      return Promise.all(
        activityArns.map(async (activityArn) => ({
          activityArn,
          tasks: (await ext<{ tasks: ActivityTask[] }>('ListActivityTasks', { activityArn }, signal)).tasks,
        })),
      );
    },
    2000,
    [],
  );

  const claim = async (activityArn: string): Promise<void> => {
    setError(undefined);
    setBusy(activityArn);
    // A poll that finds nothing would wait up to a minute: give up after a few seconds (the
    // server skips a poll whose connection has gone, so nothing is lost).
    const controller = new AbortController();
    const timer = window.setTimeout(() => controller.abort(), 5000);
    try {
      const task = await sfn<{ taskToken?: string; input?: string }>(
        'GetActivityTask',
        { activityArn, workerName: `console:${user}` },
        controller.signal,
      );
      if (task.taskToken === undefined) setError('No task was waiting.');
      else
        setClaimed([
          ...loadClaimed(),
          { taskToken: task.taskToken, input: task.input ?? '{}', activityArn, claimedAt: Date.now() },
        ]);
    } catch (e) {
      setError(controller.signal.aborted ? 'No task was waiting.' : errorText(e));
    } finally {
      window.clearTimeout(timer);
      setBusy(undefined);
      reload();
    }
  };

  return (
    <section>
      <header className="page-header">
        <h1>Human task inbox</h1>
        <label>
          You are{' '}
          <input
            value={user}
            onChange={(e) => {
              setUser(e.target.value);
              localStorage.setItem(USER_KEY, e.target.value);
            }}
            aria-label="Your name"
            maxLength={60}
          />
        </label>
      </header>
      <ErrorBanner error={error ?? loadError} />
      {claimed.length > 0 ? (
        <div className="claimed">
          <h2>Claimed by you</h2>
          {claimed.map((c) => (
            <ClaimedTask
              key={c.taskToken}
              task={c}
              onDone={() => {
                setClaimed(loadClaimed().filter((x) => x.taskToken !== c.taskToken));
                reload();
              }}
            />
          ))}
        </div>
      ) : null}
      {data === undefined ? (
        <p className="muted">Loading…</p>
      ) : data.length === 0 ? (
        <p className="muted">
          No activity is marked as answered by people. Mark one on the{' '}
          <a href={href('/activities')}>activities page</a>.
        </p>
      ) : (
        data.map((a) => {
          const queued = a.tasks.filter((t) => t.status === 'QUEUED');
          return (
            <div key={a.activityArn} className="card" data-testid={`inbox-${shortName(a.activityArn)}`}>
              <header className="page-header">
                <h2>
                  {shortName(a.activityArn)} <span className="muted small">{queued.length} waiting</span>
                </h2>
                <button
                  type="button"
                  className="button primary"
                  disabled={queued.length === 0 || busy !== undefined}
                  onClick={() => void claim(a.activityArn)}
                  data-testid="claim"
                >
                  {busy === a.activityArn ? 'Claiming…' : 'Claim the oldest task'}
                </button>
              </header>
              {a.tasks.length === 0 ? (
                <p className="muted">Nothing waiting.</p>
              ) : (
                <ul className="tasks">
                  {a.tasks.map((t, i) => (
                    <li key={i} className={`task task-${t.status.toLowerCase()}`}>
                      <div className="small">
                        <strong>
                          {t.status === 'QUEUED' ? 'Waiting' : `Claimed by ${t.workerName ?? 'a worker'}`}
                        </strong>{' '}
                        · since {formatDate(t.scheduledDate)} ·{' '}
                        <a href={href(`/executions/${encodeURIComponent(t.executionArn)}`)}>
                          {t.executionArn.split(':').pop()}
                        </a>
                      </div>
                      <JsonBlock value={t.input} />
                    </li>
                  ))}
                </ul>
              )}
            </div>
          );
        })
      )}
    </section>
  );
}

function ClaimedTask(props: { task: Claimed; onDone: () => void }) {
  const [output, setOutput] = useState('{\n  "approved": true\n}');
  const [errorName, setErrorName] = useState('Rejected');
  const [cause, setCause] = useState('');
  const [error, setError] = useState<string>();
  let outputError: string | undefined;
  try {
    JSON.parse(output);
  } catch (e) {
    outputError = e instanceof Error ? e.message : 'Invalid JSON';
  }
  const answer = async (work: () => Promise<unknown>): Promise<void> => {
    setError(undefined);
    try {
      await work();
      props.onDone();
    } catch (e) {
      const text = errorText(e);
      if (e instanceof ApiError && (e.type === 'TaskTimedOut' || e.type === 'TaskDoesNotExist')) {
        setError(`${text} — the task is no longer waiting for this answer.`);
      } else setError(text);
    }
  };
  return (
    <div className="card claimed-task" data-testid="claimed-task">
      <div className="small muted">
        {shortName(props.task.activityArn)} · claimed {new Date(props.task.claimedAt).toLocaleTimeString()}
      </div>
      <h3>Input</h3>
      <JsonBlock value={props.task.input} />
      <div className="answer">
        <label className="block">
          Output (JSON)
          <textarea
            className="code small-code"
            rows={4}
            value={output}
            onChange={(e) => setOutput(e.target.value)}
            spellCheck={false}
            data-testid="approve-output"
            aria-invalid={outputError !== undefined}
          />
        </label>
        {outputError !== undefined ? <div className="field-error">{outputError}</div> : null}
        <button
          type="button"
          className="button primary"
          disabled={outputError !== undefined}
          onClick={() =>
            void answer(() => sfn('SendTaskSuccess', { taskToken: props.task.taskToken, output }))
          }
          data-testid="approve"
        >
          Approve
        </button>
      </div>
      <div className="answer">
        <label>
          Error <input value={errorName} onChange={(e) => setErrorName(e.target.value)} maxLength={256} />
        </label>
        <label>
          Cause <input value={cause} onChange={(e) => setCause(e.target.value)} maxLength={32768} />
        </label>
        <button
          type="button"
          className="button danger"
          onClick={() =>
            void answer(() =>
              sfn('SendTaskFailure', {
                taskToken: props.task.taskToken,
                error: errorName,
                ...(cause !== '' ? { cause } : {}),
              }),
            )
          }
          data-testid="reject"
        >
          Reject
        </button>
      </div>
      <ErrorBanner error={error} />
    </div>
  );
}
