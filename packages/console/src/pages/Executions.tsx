import { useState } from 'react';
import { EXECUTION_STATUSES, ext, listAll, shortName } from '../api';
import type { ExecutionListItem, StateMachineListItem } from '../api';
import { ErrorBanner, StatusBadge, formatDate, formatDuration, href, navigate, usePolling } from '../ui';

export interface ExecutionFilterValues {
  stateMachineArn?: string;
  statusFilter?: string;
  namePrefix?: string;
  /** epoch seconds */
  startedAfter?: number;
  startedBefore?: number;
}

/** One page at a time from the server (keyset paging), with the tokens of the pages before. */
export function ExecutionsTable(props: {
  filter: ExecutionFilterValues;
  pageSize?: number;
  showMachine?: boolean;
}) {
  const key = JSON.stringify(props.filter);
  const [pages, setPages] = useState<{ key: string; tokens: (string | undefined)[] }>({
    key,
    tokens: [undefined],
  });
  const tokens = pages.key === key ? pages.tokens : [undefined];
  const token = tokens[tokens.length - 1];
  const { data, error } = usePolling(
    (signal) =>
      ext<{ executions: ExecutionListItem[]; nextToken?: string }>(
        'ListExecutions',
        {
          ...props.filter,
          maxResults: props.pageSize ?? 50,
          ...(token !== undefined ? { nextToken: token } : {}),
        },
        signal,
      ),
    3000,
    [key, token],
  );
  const now = Date.now();
  return (
    <div>
      <ErrorBanner error={error} />
      <table className="table" data-testid="executions">
        <thead>
          <tr>
            <th>Name</th>
            {props.showMachine === true ? <th>State machine</th> : null}
            <th>Status</th>
            <th>Started</th>
            <th>Stopped</th>
            <th className="num">Duration</th>
          </tr>
        </thead>
        <tbody>
          {data === undefined ? (
            <tr>
              <td colSpan={6} className="muted">
                Loading…
              </td>
            </tr>
          ) : data.executions.length === 0 ? (
            <tr>
              <td colSpan={6} className="muted">
                No executions match.
              </td>
            </tr>
          ) : (
            data.executions.map((e) => (
              <tr key={e.executionArn}>
                <td>
                  <a href={href(`/executions/${encodeURIComponent(e.executionArn)}`)}>{e.name}</a>
                </td>
                {props.showMachine === true ? (
                  <td>
                    <a href={href(`/state-machines/${encodeURIComponent(e.stateMachineArn)}`)}>
                      {shortName(e.stateMachineArn)}
                    </a>
                  </td>
                ) : null}
                <td>
                  <StatusBadge status={e.status} />
                </td>
                <td>{formatDate(e.startDate)}</td>
                <td>{formatDate(e.stopDate)}</td>
                <td className="num">
                  {formatDuration((e.stopDate ?? now / 1000) * 1000 - e.startDate * 1000)}
                </td>
              </tr>
            ))
          )}
        </tbody>
      </table>
      <div className="pager">
        <button
          type="button"
          className="button"
          disabled={tokens.length <= 1}
          onClick={() => setPages({ key, tokens: tokens.slice(0, -1) })}
        >
          ← Newer
        </button>
        <span className="muted">Page {tokens.length}</span>
        <button
          type="button"
          className="button"
          disabled={data?.nextToken === undefined}
          onClick={() => {
            if (data?.nextToken !== undefined) setPages({ key, tokens: [...tokens, data.nextToken] });
          }}
          data-testid="next-page"
        >
          Older →
        </button>
      </div>
    </div>
  );
}

function toLocalInput(epochSeconds: string | null): string {
  if (epochSeconds === null || epochSeconds === '') return '';
  const d = new Date(Number(epochSeconds) * 1000);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function fromLocalInput(value: string): string | undefined {
  if (value === '') return undefined;
  const ms = new Date(value).getTime();
  return Number.isNaN(ms) ? undefined : String(ms / 1000);
}

export function ExecutionsPage(props: { query: URLSearchParams }) {
  const q = props.query;
  const machine = q.get('machine') ?? '';
  const status = q.get('status') ?? '';
  const prefix = q.get('prefix') ?? '';
  const after = q.get('after');
  const before = q.get('before');
  const { data: machines } = usePolling(
    () => listAll<StateMachineListItem>('ListStateMachines', 'stateMachines'),
    0,
    [],
  );
  const update = (change: Record<string, string | undefined>): void => {
    navigate('/executions', {
      machine,
      status,
      prefix,
      after: after ?? undefined,
      before: before ?? undefined,
      ...change,
    });
  };
  const filter: ExecutionFilterValues = {
    ...(machine !== '' ? { stateMachineArn: machine } : {}),
    ...(status !== '' ? { statusFilter: status } : {}),
    ...(prefix !== '' ? { namePrefix: prefix } : {}),
    ...(after !== null && after !== '' ? { startedAfter: Number(after) } : {}),
    ...(before !== null && before !== '' ? { startedBefore: Number(before) } : {}),
  };
  return (
    <section>
      <header className="page-header">
        <h1>Executions</h1>
      </header>
      <div className="filters" role="search">
        <label>
          State machine{' '}
          <select
            value={machine}
            onChange={(e) => update({ machine: e.target.value })}
            data-testid="filter-machine"
          >
            <option value="">All</option>
            {(machines ?? []).map((m) => (
              <option key={m.stateMachineArn} value={m.stateMachineArn}>
                {m.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Status{' '}
          <select
            value={status}
            onChange={(e) => update({ status: e.target.value })}
            data-testid="filter-status"
          >
            <option value="">Any</option>
            {EXECUTION_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Name starts with{' '}
          <input
            defaultValue={prefix}
            key={prefix}
            onKeyDown={(e) => {
              if (e.key === 'Enter') update({ prefix: e.currentTarget.value });
            }}
            onBlur={(e) => {
              if (e.currentTarget.value !== prefix) update({ prefix: e.currentTarget.value });
            }}
            data-testid="filter-prefix"
          />
        </label>
        <label>
          Started after{' '}
          <input
            type="datetime-local"
            value={toLocalInput(after)}
            onChange={(e) => update({ after: fromLocalInput(e.target.value) })}
          />
        </label>
        <label>
          before{' '}
          <input
            type="datetime-local"
            value={toLocalInput(before)}
            onChange={(e) => update({ before: fromLocalInput(e.target.value) })}
          />
        </label>
      </div>
      <ExecutionsTable filter={filter} showMachine />
    </section>
  );
}
