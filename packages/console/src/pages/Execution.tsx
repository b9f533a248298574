import { useEffect, useMemo, useRef, useState } from 'react';
import { ApiError, eventDetails, ext, sfn, shortName } from '../api';
import type { ExecutionDescription, ExecutionStatus, HistoryEvent } from '../api';
import { GraphView } from '../components/GraphView';
import { analyse, STATUS_LABELS } from '../execution-state';
import type { StateSummary, StateVisit } from '../execution-state';
import { dataFlow, variablesBefore } from '../dataflow';
import type { FlowExecution, StepSource } from '../dataflow';
import { layoutDefinition } from '../graph-layout';
import type { LaidOutGraph } from '../graph-layout';
import {
  ErrorBanner,
  JsonBlock,
  StatusBadge,
  VirtualList,
  download,
  formatDate,
  formatDuration,
  href,
  usePolling,
} from '../ui';

/** The history so far, fetched incrementally (GetExecutionEvents) while the execution runs. */
function useHistory(executionArn: string): {
  events: HistoryEvent[];
  status: ExecutionStatus | undefined;
  error: string | undefined;
} {
  const [state, setState] = useState<{ arn: string; events: HistoryEvent[]; status?: ExecutionStatus }>({
    arn: executionArn,
    events: [],
  });
  const [error, setError] = useState<string>();
  const eventsRef = useRef<HistoryEvent[]>([]);
  useEffect(() => {
    eventsRef.current = [];
    setState({ arn: executionArn, events: [] });
    const controller = new AbortController();
    let timer: number | undefined;
    const poll = async (): Promise<void> => {
      let status: ExecutionStatus | undefined;
      try {
        for (;;) {
          const last = eventsRef.current[eventsRef.current.length - 1];
          const page = await ext<{ events: HistoryEvent[]; status: ExecutionStatus; more: boolean }>(
            'GetExecutionEvents',
            { executionArn, afterEventId: last?.id ?? 0, maxResults: 5000 },
            controller.signal,
          );
          status = page.status;
          if (page.events.length > 0) eventsRef.current = [...eventsRef.current, ...page.events];
          if (!page.more) break;
        }
        if (controller.signal.aborted) return;
        setState({
          arn: executionArn,
          events: eventsRef.current,
          ...(status !== undefined ? { status } : {}),
        });
        setError(undefined);
      } catch (e) {
        if (controller.signal.aborted) return;
        setError(e instanceof Error ? e.message : String(e));
      }
      if (!controller.signal.aborted && (status === undefined || status === 'RUNNING'))
        timer = window.setTimeout(() => void poll(), 1000);
    };
    void poll();
    return () => {
      controller.abort();
      if (timer !== undefined) window.clearTimeout(timer);
    };
  }, [executionArn]);
  return {
    events: state.arn === executionArn ? state.events : [],
    status: state.arn === executionArn ? state.status : undefined,
    error,
  };
}

export function ExecutionPage(props: { arn: string }) {
  const { arn } = props;
  const history = useHistory(arn);
  const running = history.status === undefined || history.status === 'RUNNING';
  const {
    data: execution,
    error: describeError,
    reload,
  } = usePolling(
    (signal) => sfn<ExecutionDescription>('DescribeExecution', { executionArn: arn }, signal),
    running ? 1000 : 0,
    [arn, history.status],
  );
  const { data: machine } = usePolling(
    (signal) =>
      sfn<{ definition: string; roleArn?: string }>(
        'DescribeStateMachineForExecution',
        { executionArn: arn },
        signal,
      ),
    0,
    [arn],
  );
  const definition = machine?.definition;
  const parsedDefinition = useMemo((): unknown => {
    try {
      return definition !== undefined ? JSON.parse(definition) : undefined;
    } catch {
      return undefined;
    }
  }, [definition]);
  const [graph, setGraph] = useState<LaidOutGraph>();
  useEffect(() => {
    if (definition === undefined) return;
    let cancelled = false;
    try {
      layoutDefinition(JSON.parse(definition))
        .then((g) => {
          if (!cancelled) setGraph(g);
        })
        .catch(() => undefined);
    } catch {
      // an unreadable definition: no graph
    }
    return () => {
      cancelled = true;
    };
  }, [definition]);
  const status = execution?.status ?? history.status;
  const summaries = useMemo(
    () => analyse(history.events, status, graph?.types ?? new Map<string, string>()),
    [history.events, status, graph],
  );
  const roleArn = machine?.roleArn;
  const flowExecution = useMemo(
    (): FlowExecution | undefined =>
      execution !== undefined
        ? {
            executionArn: execution.executionArn,
            stateMachineArn: execution.stateMachineArn,
            name: execution.name,
            input: execution.input,
            startDate: execution.startDate,
            redriveCount: execution.redriveCount,
            roleArn,
          }
        : undefined,
    [execution, roleArn],
  );
  const [selected, setSelected] = useState<string>();
  const [tab, setTab] = useState<'history' | 'timeline'>('history');
  const [actionError, setActionError] = useState<string>();

  const stop = async (): Promise<void> => {
    if (!window.confirm('Stop this execution?')) return;
    try {
      await sfn('StopExecution', {
        executionArn: arn,
        error: 'Stopped',
        cause: 'Stopped from the Stepwise console',
      });
      reload();
    } catch (e) {
      setActionError(e instanceof ApiError ? `${e.type}: ${e.message}` : String(e));
    }
  };

  const startMs = execution !== undefined ? execution.startDate * 1000 : undefined;
  const endMs = execution?.stopDate !== undefined ? execution.stopDate * 1000 : Date.now();
  return (
    <section>
      <header className="page-header">
        <div>
          <div className="crumbs">
            <a href={href('/executions')}>Executions</a> /{' '}
            {execution !== undefined ? (
              <a href={href(`/state-machines/${encodeURIComponent(execution.stateMachineArn)}`)}>
                {shortName(execution.stateMachineArn)}
              </a>
            ) : null}
          </div>
          <h1 data-testid="execution-name">{execution?.name ?? shortName(arn)}</h1>
        </div>
        <div className="actions">
          {status !== undefined ? <StatusBadge status={status} /> : null}
          {status === 'RUNNING' ? (
            <button
              type="button"
              className="button danger"
              onClick={() => void stop()}
              data-testid="stop-execution"
            >
              Stop
            </button>
          ) : null}
          <button
            type="button"
            className="button"
            onClick={() =>
              download(
                `${execution?.name ?? 'execution'}-history.json`,
                JSON.stringify({ events: history.events }, null, 2),
              )
            }
          >
            Download history
          </button>
        </div>
      </header>
      <ErrorBanner error={describeError ?? history.error ?? actionError} />
      {execution !== undefined ? (
        <div className="summary card" data-testid="execution-summary">
          <dl>
            <dt>Started</dt>
            <dd>{formatDate(execution.startDate)}</dd>
            <dt>Stopped</dt>
            <dd>{formatDate(execution.stopDate)}</dd>
            <dt>Duration</dt>
            <dd>{startMs !== undefined ? formatDuration(endMs - startMs) : '—'}</dd>
            <dt>Events</dt>
            <dd>{history.events.length}</dd>
          </dl>
          {execution.error !== undefined || execution.cause !== undefined ? (
            <div className="failure">
              <strong>Error:</strong> <span data-testid="execution-error">{execution.error ?? '—'}</span>
              <div>
                <strong>Cause:</strong> <span className="cause">{execution.cause ?? '—'}</span>
              </div>
            </div>
          ) : null}
          <div className="io">
            <div>
              <h3>Input</h3>
              <JsonBlock value={execution.input} testId="execution-input" />
            </div>
            <div>
              <h3>Output</h3>
              <JsonBlock value={execution.output} testId="execution-output" />
            </div>
          </div>
        </div>
      ) : null}
      <div className="split execution-split">
        <div>
          {graph !== undefined ? (
            <GraphView
              graph={graph}
              statuses={summaries}
              selected={selected}
              onSelect={setSelected}
              height={480}
            />
          ) : (
            <div className="graph placeholder muted">Loading the graph…</div>
          )}
          <Legend />
        </div>
        <StatePanel
          name={selected}
          summary={selected !== undefined ? summaries.get(selected) : undefined}
          summaries={summaries}
          definition={parsedDefinition}
          execution={flowExecution}
        />
      </div>
      <div className="tabs" role="tablist">
        <button type="button" role="tab" aria-selected={tab === 'history'} onClick={() => setTab('history')}>
          History ({history.events.length})
        </button>
        <button
          type="button"
          role="tab"
          aria-selected={tab === 'timeline'}
          onClick={() => setTab('timeline')}
        >
          Timeline
        </button>
      </div>
      {tab === 'history' ? (
        <HistoryTable events={history.events} summaries={summaries} onSelectState={setSelected} />
      ) : (
        <Timeline summaries={summaries} startMs={startMs} endMs={endMs} onSelectState={setSelected} />
      )}
    </section>
  );
}

function Legend() {
  return (
    <div className="legend" aria-label="Legend">
      {(Object.keys(STATUS_LABELS) as (keyof typeof STATUS_LABELS)[]).map((s) => (
        <span key={s} className={`legend-item status-${s}`}>
          {STATUS_LABELS[s]}
        </span>
      ))}
    </div>
  );
}

const SOURCE_LABELS: Record<StepSource, string> = {
  recorded: 'recorded',
  computed: 'computed',
  unchanged: 'unchanged',
  notComputed: 'not computed',
  notApplicable: 'not used',
};

function DataFlowSteps(props: {
  visit: StateVisit;
  definition: unknown;
  execution: FlowExecution | undefined;
  summaries: Map<string, StateSummary>;
}) {
  const { visit, definition, execution, summaries } = props;
  const steps = useMemo(
    () =>
      dataFlow({
        definition,
        visit,
        execution,
        variables: variablesBefore(summaries, visit.enteredId),
      }),
    [definition, visit, execution, summaries],
  );
  return (
    <ol className="flow-steps" aria-label="Data flow">
      {steps.map((step) => (
        <li
          key={step.key}
          className={`flow-step flow-${step.source}`}
          data-testid={`flow-${step.key}`}
          data-source={step.source}
        >
          <h3>
            {step.title} <span className="flow-source">{SOURCE_LABELS[step.source]}</span>
          </h3>
          {step.value !== undefined ? (
            <JsonBlock
              value={step.value}
              {...(step.key === 'raw'
                ? { testId: 'state-input' }
                : step.key === 'output'
                  ? { testId: 'state-output' }
                  : {})}
            />
          ) : null}
          {step.mismatch !== undefined ? (
            <div className="flow-warning" role="note" data-testid="flow-mismatch">
              ⚠ {step.note}
              <details>
                <summary>Recomputed value</summary>
                <JsonBlock value={step.mismatch} />
              </details>
            </div>
          ) : step.note !== undefined ? (
            <p className="small muted flow-note">{step.note}</p>
          ) : null}
        </li>
      ))}
    </ol>
  );
}

function StatePanel(props: {
  name: string | undefined;
  summary: StateSummary | undefined;
  summaries: Map<string, StateSummary>;
  definition: unknown;
  execution: FlowExecution | undefined;
}) {
  const { name, summary } = props;
  const [visitIndex, setVisitIndex] = useState<number>(-1);
  useEffect(() => setVisitIndex(-1), [name]);
  if (name === undefined)
    return (
      <aside className="state-panel card muted" data-testid="state-panel">
        Select a state in the graph to see its data flow.
      </aside>
    );
  if (summary === undefined)
    return (
      <aside className="state-panel card" data-testid="state-panel">
        <h2>{name}</h2>
        <p className="muted">Not reached.</p>
      </aside>
    );
  const visits = summary.visits;
  const visit: StateVisit | undefined = visits[visitIndex < 0 ? visits.length - 1 : visitIndex];
  return (
    <aside className="state-panel card" data-testid="state-panel">
      <h2>{name}</h2>
      <div className="muted small">
        {STATUS_LABELS[summary.status]}
        {summary.retried ? ' · retried' : ''} · {visits.length} visit{visits.length === 1 ? '' : 's'}
      </div>
      {visits.length > 1 ? (
        <label>
          Visit{' '}
          <select
            value={visitIndex < 0 ? visits.length - 1 : visitIndex}
            onChange={(e) => setVisitIndex(Number(e.target.value))}
          >
            {visits.map((v, i) => (
              <option key={v.enteredId} value={i}>
                #{i + 1} (event {v.enteredId})
              </option>
            ))}
          </select>
        </label>
      ) : null}
      {visit !== undefined ? (
        <div className="dataflow">
          {visit.resource !== undefined ? (
            <div className="small muted">
              Resource: <code>{visit.resource}</code>
            </div>
          ) : null}
          {visit.workerName !== undefined ? (
            <div className="small">
              Worker: <code>{visit.workerName}</code>
            </div>
          ) : null}
          {visit.failures.length > 0 ? (
            <>
              <h3>Failures{visit.retries > 0 ? ` (retried ${visit.retries}×)` : ''}</h3>
              <ul className="failures">
                {visit.failures.map((f) => (
                  <li key={f.id}>
                    <code>{f.type}</code> {f.error ?? ''} <span className="cause">{f.cause ?? ''}</span>
                  </li>
                ))}
              </ul>
            </>
          ) : null}
          <DataFlowSteps
            visit={visit}
            definition={props.definition}
            execution={props.execution}
            summaries={props.summaries}
          />
        </div>
      ) : null}
    </aside>
  );
}

const ROW = 28;

function HistoryTable(props: {
  events: HistoryEvent[];
  summaries: Map<string, StateSummary>;
  onSelectState: (name: string) => void;
}) {
  const { events, summaries } = props;
  const [typeFilter, setTypeFilter] = useState('');
  const [stateFilter, setStateFilter] = useState('');
  const [open, setOpen] = useState<number>();
  const stateOf = useMemo(() => {
    const map = new Map<number, string>();
    for (const [name, summary] of summaries)
      for (const v of summary.visits) for (const id of v.eventIds) map.set(id, name);
    return map;
  }, [summaries]);
  const types = useMemo(() => [...new Set(events.map((e) => e.type))].sort(), [events]);
  const shown = useMemo(
    () =>
      events.filter(
        (e) =>
          (typeFilter === '' || e.type === typeFilter) &&
          (stateFilter === '' || stateOf.get(e.id) === stateFilter),
      ),
    [events, typeFilter, stateFilter, stateOf],
  );
  const first = events[0]?.timestamp ?? 0;
  const openEvent = open !== undefined ? events.find((e) => e.id === open) : undefined;
  return (
    <div className="history">
      <div className="filters">
        <label>
          Type{' '}
          <select
            value={typeFilter}
            onChange={(e) => setTypeFilter(e.target.value)}
            data-testid="history-type"
          >
            <option value="">All</option>
            {types.map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        </label>
        <label>
          State{' '}
          <select value={stateFilter} onChange={(e) => setStateFilter(e.target.value)}>
            <option value="">All</option>
            {[...summaries.keys()].sort().map((n) => (
              <option key={n}>{n}</option>
            ))}
          </select>
        </label>
        <span className="muted">
          {shown.length} of {events.length} events
        </span>
      </div>
      <div className="vhead" role="row">
        <span className="c-id">#</span>
        <span className="c-type">Type</span>
        <span className="c-state">State</span>
        <span className="c-time">Time</span>
        <span className="c-elapsed">Elapsed</span>
      </div>
      <VirtualList
        items={shown}
        rowHeight={ROW}
        height={Math.min(420, Math.max(3, shown.length) * ROW + 2)}
        ariaLabel="Execution history"
        testId="history-table"
        renderRow={(e) => {
          const state = stateOf.get(e.id);
          return (
            <button
              type="button"
              className={`history-row${open === e.id ? ' open' : ''}${/Failed|TimedOut|Aborted/.test(e.type) ? ' failed' : ''}`}
              onClick={() => setOpen(open === e.id ? undefined : e.id)}
              aria-expanded={open === e.id}
              data-event-type={e.type}
            >
              <span className="c-id">{e.id}</span>
              <span className="c-type">{e.type}</span>
              <span className="c-state">{state ?? ''}</span>
              <span className="c-time">{formatDate(e.timestamp)}</span>
              <span className="c-elapsed">{formatDuration((e.timestamp - first) * 1000)}</span>
            </button>
          );
        }}
      />
      {openEvent !== undefined ? (
        <div className="card event-details" data-testid="event-details">
          <h3>
            Event {openEvent.id}: {openEvent.type}
            {stateOf.get(openEvent.id) !== undefined ? (
              <>
                {' '}
                <button
                  type="button"
                  className="link"
                  onClick={() => props.onSelectState(stateOf.get(openEvent.id) ?? '')}
                >
                  show state {stateOf.get(openEvent.id)}
                </button>
              </>
            ) : null}
          </h3>
          <div className="small muted">previous event {openEvent.previousEventId}</div>
          <EventDetails event={openEvent} />
        </div>
      ) : null}
    </div>
  );
}

function EventDetails(props: { event: HistoryEvent }) {
  const details = eventDetails(props.event);
  if (details === undefined) return <p className="muted">No details.</p>;
  return (
    <dl className="details">
      {Object.entries(details).map(([key, value]) => (
        <div key={key}>
          <dt>{key}</dt>
          <dd>
            {typeof value === 'string' && (key === 'input' || key === 'output' || key === 'parameters') ? (
              <JsonBlock value={value} />
            ) : typeof value === 'string' ? (
              <span className="pre-wrap">{value}</span>
            ) : (
              <JsonBlock value={JSON.stringify(value)} />
            )}
          </dd>
        </div>
      ))}
    </dl>
  );
}

function Timeline(props: {
  summaries: Map<string, StateSummary>;
  startMs: number | undefined;
  endMs: number;
  onSelectState: (name: string) => void;
}) {
  const visits = useMemo(() => {
    const all: (StateVisit & { status: StateSummary['status'] })[] = [];
    for (const summary of props.summaries.values())
      for (const v of summary.visits) all.push({ ...v, status: summary.status });
    return all.sort((a, b) => a.enteredId - b.enteredId);
  }, [props.summaries]);
  if (props.startMs === undefined || visits.length === 0)
    return <p className="muted">No states entered yet.</p>;
  const start = props.startMs;
  const span = Math.max(1, props.endMs - start);
  return (
    <div className="timeline" data-testid="timeline">
      <div className="muted small">
        0 — {formatDuration(span)} · one bar per state entry; red marks are failures, retries are counted on
        the bar
      </div>
      <VirtualList
        items={visits}
        rowHeight={26}
        height={Math.min(420, visits.length * 26 + 2)}
        ariaLabel="Timeline"
        renderRow={(v) => {
          const from = v.enteredAt * 1000 - start;
          const to = (v.exitedAt !== undefined ? v.exitedAt * 1000 : props.endMs) - start;
          const left = (from / span) * 100;
          const width = Math.max(0.3, ((to - from) / span) * 100);
          const status = v.exitedAt === undefined ? v.status : v.failures.length > 0 ? 'caught' : 'succeeded';
          return (
            <button type="button" className="timeline-row" onClick={() => props.onSelectState(v.name)}>
              <span className="timeline-label">{v.name}</span>
              <span className="timeline-track">
                <span
                  className={`timeline-bar status-${status}`}
                  style={{ left: `${left}%`, width: `${width}%` }}
                >
                  {v.retries > 0 ? `${v.retries} retr${v.retries === 1 ? 'y' : 'ies'}` : ''}
                </span>
                {v.failures.map((f) => (
                  <span
                    key={f.id}
                    className="timeline-tick"
                    style={{ left: `${((f.at * 1000 - start) / span) * 100}%` }}
                    title={f.type}
                  />
                ))}
              </span>
              <span className="timeline-duration">{formatDuration(to - from)}</span>
            </button>
          );
        }}
      />
    </div>
  );
}
