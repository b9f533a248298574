import { useEffect, useState } from 'react';
import { ApiError, ext, listAll, sfn } from '../api';
import type { ActivityListItem, ActivityStats, ActivityTask } from '../api';
import { ErrorBanner, JsonBlock, formatDate, href, usePolling } from '../ui';

interface Row extends ActivityListItem {
  stats?: ActivityStats;
}

export function ActivitiesPage() {
  const { data, error, reload } = usePolling(
    async (signal): Promise<Row[]> => {
      const activities = await listAll<ActivityListItem>('ListActivities', 'activities');
      return Promise.all(
        activities.map(async (a) => {
          const stats = await ext<ActivityStats>(
            'GetActivityStats',
            { activityArn: a.activityArn },
            signal,
          ).catch(() => undefined);
          return stats !== undefined ? { ...a, stats } : a;
        }),
      );
    },
    2000,
    [],
  );
  const [name, setName] = useState('');
  const [actionError, setActionError] = useState<string>();
  const [openArn, setOpenArn] = useState<string>();
  /** The flag as just set here, shown until the next poll confirms it. */
  const [humanSet, setHumanSet] = useState<Record<string, boolean>>({});
  useEffect(() => {
    // Forget what the server now confirms.
    setHumanSet((current) => {
      const rest = Object.fromEntries(
        Object.entries(current).filter(
          ([arn, human]) => data?.find((a) => a.activityArn === arn)?.stats?.human !== human,
        ),
      );
      return Object.keys(rest).length === Object.keys(current).length ? current : rest;
    });
  }, [data]);
  const act = async (work: () => Promise<unknown>): Promise<void> => {
    setActionError(undefined);
    try {
      await work();
      reload();
    } catch (e) {
      setActionError(e instanceof ApiError ? `${e.type}: ${e.message}` : String(e));
    }
  };
  return (
    <section>
      <header className="page-header">
        <h1>Activities</h1>
        <form
          className="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            void act(() => sfn('CreateActivity', { name })).then(() => setName(''));
          }}
        >
          <input
            value={name}
            onChange={(e) => setName(e.target.value)}
            placeholder="new activity name"
            aria-label="New activity name"
            required
            maxLength={80}
          />
          <button type="submit" className="button">
            Create activity
          </button>
        </form>
      </header>
      <ErrorBanner error={error ?? actionError} />
      {data === undefined ? (
        <p className="muted">Loading…</p>
      ) : (
        <table className="table" data-testid="activities">
          <thead>
            <tr>
              <th>Name</th>
              <th>Created</th>
              <th className="num">Queued</th>
              <th className="num">In flight</th>
              <th>Pollers waiting now</th>
              <th>Answered by people</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {data.map((a) => {
              const stuck = a.stats !== undefined && a.stats.queued > 0 && a.stats.pollers.length === 0;
              return (
                <tr key={a.activityArn} className={stuck ? 'warn' : ''}>
                  <td>{a.name}</td>
                  <td>{formatDate(a.creationDate)}</td>
                  <td className="num">{a.stats?.queued ?? '?'}</td>
                  <td className="num">{a.stats?.inFlight ?? '?'}</td>
                  <td>
                    {a.stats === undefined ? (
                      '?'
                    ) : a.stats.pollers.length === 0 ? (
                      <span className={stuck ? 'warn-text' : 'muted'}>
                        {stuck ? 'none — tasks are waiting' : 'none'}
                      </span>
                    ) : (
                      a.stats.pollers.map((p, i) => (
                        <span key={i} className="chip" title={`polling since ${formatDate(p.since)}`}>
                          {p.workerName ?? '(unnamed)'}
                        </span>
                      ))
                    )}
                  </td>
                  <td>
                    <label className="switch">
                      <input
                        type="checkbox"
                        checked={humanSet[a.activityArn] ?? a.stats?.human ?? false}
                        onChange={(e) => {
                          const human = e.target.checked;
                          setHumanSet({ ...humanSet, [a.activityArn]: human });
                          void act(() => ext('SetActivityHuman', { activityArn: a.activityArn, human }));
                        }}
                        data-testid={`human-${a.name}`}
                      />{' '}
                      human
                    </label>
                    {(humanSet[a.activityArn] ?? a.stats?.human) === true ? (
                      <>
                        {' '}
                        <a href={href('/inbox')}>inbox</a>
                      </>
                    ) : null}
                  </td>
                  <td>
                    <button
                      type="button"
                      className="button small"
                      onClick={() => setOpenArn(openArn === a.activityArn ? undefined : a.activityArn)}
                    >
                      {openArn === a.activityArn ? 'Hide tasks' : 'Tasks'}
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {openArn !== undefined ? <TaskList activityArn={openArn} /> : null}
    </section>
  );
}

export function TaskList(props: { activityArn: string }) {
  const { data, error } = usePolling(
    (signal) =>
      ext<{ tasks: ActivityTask[] }>('ListActivityTasks', { activityArn: props.activityArn }, signal),
    2000,
    [props.activityArn],
  );
  return (
    <div className="card">
      <h2>Tasks (not claimed by listing them)</h2>
      <ErrorBanner error={error} />
      {data === undefined ? null : data.tasks.length === 0 ? (
        <p className="muted">No tasks.</p>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th>Execution</th>
              <th>Status</th>
              <th>Scheduled</th>
              <th>Worker</th>
              <th>Input</th>
            </tr>
          </thead>
          <tbody>
            {data.tasks.map((t, i) => (
              <tr key={i}>
                <td>
                  <a href={href(`/executions/${encodeURIComponent(t.executionArn)}`)}>
                    {t.executionArn.split(':').pop()}
                  </a>
                </td>
                <td>{t.status}</td>
                <td>{formatDate(t.scheduledDate)}</td>
                <td>{t.workerName ?? '—'}</td>
                <td>
                  <JsonBlock value={t.input} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
