import { useEffect, useState } from 'react';
import { ApiError, ext, sfn, shortName } from '../api';
import type { ExecutionStatus, StateMachineDescription } from '../api';
import { DefinitionEditor, LiveGraph, useValidation } from '../components/DefinitionEditor';
import { ExecutionsTable } from './Executions';
import { ErrorBanner, formatDate, href, navigate, usePolling } from '../ui';

const TEMPLATE = `{
  "Comment": "A new state machine",
  "StartAt": "Hello",
  "States": {
    "Hello": { "Type": "Pass", "Result": { "hello": "world" }, "End": true }
  }
}
`;

const DEFAULT_ROLE = 'arn:aws:iam::123456789012:role/stepwise';

function errorText(error: unknown): string {
  return error instanceof ApiError
    ? `${error.type}: ${error.message}`
    : error instanceof Error
      ? error.message
      : String(error);
}

export function NewStateMachinePage() {
  const [name, setName] = useState('');
  const [type, setType] = useState<'STANDARD' | 'EXPRESS'>('STANDARD');
  const [text, setText] = useState(TEMPLATE);
  const [error, setError] = useState<string>();
  const diagnostics = useValidation(text, type);
  const create = async (): Promise<void> => {
    setError(undefined);
    try {
      const result = await sfn<{ stateMachineArn: string }>('CreateStateMachine', {
        name,
        definition: text,
        roleArn: DEFAULT_ROLE,
        type,
      });
      navigate(`/state-machines/${encodeURIComponent(result.stateMachineArn)}`);
    } catch (e) {
      setError(errorText(e));
    }
  };
  return (
    <section>
      <header className="page-header">
        <h1>Create state machine</h1>
      </header>
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          void create();
        }}
      >
        <label>
          Name{' '}
          <input
            value={name}
            onChange={(e) => setName(e.target.value)}
            required
            maxLength={80}
            data-testid="new-name"
          />
        </label>
        <label>
          Type{' '}
          <select
            value={type}
            onChange={(e) => setType(e.target.value === 'EXPRESS' ? 'EXPRESS' : 'STANDARD')}
          >
            <option>STANDARD</option>
            <option>EXPRESS</option>
          </select>
        </label>
        <button type="submit" className="button primary">
          Create
        </button>
      </form>
      <ErrorBanner error={error} />
      <div className="split">
        <DefinitionEditor text={text} onChange={setText} diagnostics={diagnostics} />
        <LiveGraph text={text} />
      </div>
    </section>
  );
}

export function StateMachinePage(props: { arn: string }) {
  const { arn } = props;
  const {
    data: machine,
    error: loadError,
    reload,
  } = usePolling(
    (signal) => sfn<StateMachineDescription>('DescribeStateMachine', { stateMachineArn: arn }, signal),
    0,
    [arn],
  );
  const { data: stats } = usePolling(
    (signal) =>
      ext<{ executionCounts: Partial<Record<ExecutionStatus, number>> }>(
        'GetStateMachineStats',
        { stateMachineArn: arn },
        signal,
      ),
    3000,
    [arn],
  );
  const [text, setText] = useState<string>();
  const [error, setError] = useState<string>();
  const [notice, setNotice] = useState<string>();
  const [tab, setTab] = useState<'definition' | 'executions'>('executions');
  useEffect(() => {
    if (machine !== undefined && text === undefined) setText(machine.definition);
  }, [machine, text]);
  const current = text ?? machine?.definition ?? '';
  const diagnostics = useValidation(current, machine?.type ?? 'STANDARD');
  const dirty = machine !== undefined && text !== undefined && text !== machine.definition;

  const save = async (): Promise<void> => {
    setError(undefined);
    try {
      await sfn('UpdateStateMachine', { stateMachineArn: arn, definition: current });
      setNotice('Saved: new executions run the updated definition.');
      setText(undefined);
      reload();
    } catch (e) {
      setError(errorText(e));
    }
  };
  const remove = async (): Promise<void> => {
    if (!window.confirm(`Delete the state machine ${shortName(arn)}? Running executions go on.`)) return;
    try {
      await sfn('DeleteStateMachine', { stateMachineArn: arn });
      navigate('/');
    } catch (e) {
      setError(errorText(e));
    }
  };

  return (
    <section>
      <header className="page-header">
        <div>
          <div className="crumbs">
            <a href={href('/')}>State machines</a> /
          </div>
          <h1>{shortName(arn)}</h1>
          {machine !== undefined ? (
            <div className="muted small">
              {machine.type} · created {formatDate(machine.creationDate)}
              {machine.revisionId !== undefined ? ` · revision ${machine.revisionId}` : ''}
            </div>
          ) : null}
        </div>
        <div className="actions">
          <button type="button" className="button danger" onClick={() => void remove()}>
            Delete
          </button>
        </div>
      </header>
      <ErrorBanner error={loadError ?? error} />
      {notice !== undefined ? (
        <div className="notice" role="status">
          {notice}
        </div>
      ) : null}
      {stats !== undefined ? (
        <div className="counts">
          {Object.entries(stats.executionCounts)
            .filter(([, n]) => n !== undefined && n > 0)
            .map(([status, n]) => (
              <a
                key={status}
                className={`badge badge-${status.toLowerCase()}`}
                href={href('/executions', { machine: arn, status })}
              >
                {status.replace('_', ' ')}: {n}
              </a>
            ))}
        </div>
      ) : null}
      <StartExecutionForm stateMachineArn={arn} />
      <div className="tabs" role="tablist">
        <button
          type="button"
          role="tab"
          aria-selected={tab === 'executions'}
          onClick={() => setTab('executions')}
        >
          Executions
        </button>
        <button
          type="button"
          role="tab"
          aria-selected={tab === 'definition'}
          onClick={() => setTab('definition')}
        >
          Definition{dirty ? ' •' : ''}
        </button>
      </div>
      {tab === 'executions' ? (
        <ExecutionsTable filter={{ stateMachineArn: arn }} pageSize={25} />
      ) : (
        <>
          <div className="toolbar">
            <button type="button" className="button primary" disabled={!dirty} onClick={() => void save()}>
              Save definition
            </button>
            <button type="button" className="button" disabled={!dirty} onClick={() => setText(undefined)}>
              Discard changes
            </button>
          </div>
          <div className="split">
            <DefinitionEditor text={current} onChange={setText} diagnostics={diagnostics} />
            <LiveGraph text={current} />
          </div>
        </>
      )}
    </section>
  );
}

export function StartExecutionForm(props: { stateMachineArn: string }) {
  const [open, setOpen] = useState(false);
  const [name, setName] = useState('');
  const [input, setInput] = useState('{}');
  const [error, setError] = useState<string>();
  let inputError: string | undefined;
  try {
    JSON.parse(input);
  } catch (e) {
    inputError = e instanceof Error ? e.message : 'Invalid JSON';
  }
  const start = async (): Promise<void> => {
    setError(undefined);
    try {
      const result = await sfn<{ executionArn: string }>('StartExecution', {
        stateMachineArn: props.stateMachineArn,
        input,
        ...(name !== '' ? { name } : {}),
      });
      navigate(`/executions/${encodeURIComponent(result.executionArn)}`);
    } catch (e) {
      setError(errorText(e));
    }
  };
  if (!open)
    return (
      <div className="toolbar">
        <button
          type="button"
          className="button primary"
          onClick={() => setOpen(true)}
          data-testid="open-start"
        >
          Start execution
        </button>
      </div>
    );
  return (
    <form
      className="card start-form"
      onSubmit={(e) => {
        e.preventDefault();
        void start();
      }}
    >
      <h2>Start execution</h2>
      <label>
        Name (optional){' '}
        <input
          value={name}
          onChange={(e) => setName(e.target.value)}
          maxLength={80}
          data-testid="start-name"
        />
      </label>
      <label className="block">
        Input (JSON)
        <textarea
          className="code small-code"
          value={input}
          onChange={(e) => setInput(e.target.value)}
          spellCheck={false}
          rows={6}
          data-testid="start-input"
          aria-invalid={inputError !== undefined}
        />
      </label>
      {inputError !== undefined ? <div className="field-error">{inputError}</div> : null}
      <ErrorBanner error={error} />
      <div className="toolbar">
        <button
          type="submit"
          className="button primary"
          disabled={inputError !== undefined}
          data-testid="start-submit"
        >
          Start
        </button>
        <button type="button" className="button" onClick={() => setOpen(false)}>
          Cancel
        </button>
      </div>
    </form>
  );
}
