import { ext, listAll, shortName } from '../api';
import type { ExecutionStatus, StateMachineListItem } from '../api';
import { ErrorBanner, formatDate, href, usePolling } from '../ui';

const SHOWN: ExecutionStatus[] = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'];

interface Row extends StateMachineListItem {
  counts: Partial<Record<ExecutionStatus, number>>;
}

export function StateMachinesPage() {
  const { data, error } = usePolling(
    async (signal): Promise<Row[]> => {
      const machines = await listAll<StateMachineListItem>('ListStateMachines', 'stateMachines');
      return Promise.all(
        machines.map(async (m) => {
          const stats = await ext<{ executionCounts: Partial<Record<ExecutionStatus, number>> }>(
            'GetStateMachineStats',
            { stateMachineArn: m.stateMachineArn },
            signal,
          ).catch(() => ({ executionCounts: {} }));
          return { ...m, counts: stats.executionCounts };
        }),
      );
    },
    5000,
    [],
  );
  return (
    <section>
      <header className="page-header">
        <h1>State machines</h1>
        <a className="button primary" href={href('/state-machines/new')}>
          Create state machine
        </a>
      </header>
      <ErrorBanner error={error} />
      {data === undefined ? (
        <p className="muted">Loading…</p>
      ) : data.length === 0 ? (
        <p className="muted">No state machines yet.</p>
      ) : (
        <table className="table" data-testid="state-machines">
          <thead>
            <tr>
              <th>Name</th>
              <th>Type</th>
              <th>Created</th>
              {SHOWN.map((s) => (
                <th key={s} className="num">
                  {s.replace('_', ' ').toLowerCase()}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {data.map((m) => (
              <tr key={m.stateMachineArn}>
                <td>
                  <a href={href(`/state-machines/${encodeURIComponent(m.stateMachineArn)}`)}>
                    {shortName(m.stateMachineArn)}
                  </a>
                </td>
                <td>{m.type}</td>
                <td>{formatDate(m.creationDate)}</td>
                {SHOWN.map((s) => (
                  <td key={s} className="num">
                    {(m.counts[s] ?? 0) > 0 ? (
                      <a href={href('/executions', { machine: m.stateMachineArn, status: s })}>
                        {m.counts[s]}
                      </a>
                    ) : (
                      <span className="muted">0</span>
                    )}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
