/**
 * JSON editing with validation as you type: every pause sends the text to
 * ValidateStateMachineDefinition, diagnostics are placed at their line and column (the JSON
 * location the validator reports, found in the text), and the graph is redrawn from the last
 * text that parsed.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { sfn } from '../api';
import type { Diagnostic } from '../api';
import { JsonLocator } from '../../../server/src/cli/json-locate.js';
import { layoutDefinition } from '../graph-layout';
import type { LaidOutGraph } from '../graph-layout';
import { GraphView } from './GraphView';

export interface LocatedDiagnostic extends Diagnostic {
  line: number;
  column: number;
}

export function useValidation(text: string, type: 'STANDARD' | 'EXPRESS'): LocatedDiagnostic[] | undefined {
  const [diagnostics, setDiagnostics] = useState<LocatedDiagnostic[]>();
  useEffect(() => {
    const controller = new AbortController();
    const timer = window.setTimeout(() => {
      sfn<{ diagnostics: Diagnostic[] }>(
        'ValidateStateMachineDefinition',
        { definition: text, type, severity: 'WARNING', maxResults: 100 },
        controller.signal,
      )
        .then((result) => {
          const locator = new JsonLocator(text);
          setDiagnostics(
            result.diagnostics.map((d) => {
              const fromMessage = /line (\d+)[^\d]+(\d+)/i.exec(d.message);
              const position =
                d.code === 'INVALID_JSON_DESCRIPTION' && fromMessage !== null
                  ? { line: Number(fromMessage[1]), column: Number(fromMessage[2]) }
                  : locator.locate(d.location ?? '');
              return { ...d, ...position };
            }),
          );
        })
        .catch((error: unknown) => {
          if (controller.signal.aborted) return;
          setDiagnostics([
            {
              severity: 'ERROR',
              code: 'VALIDATION_UNAVAILABLE',
              message: error instanceof Error ? error.message : String(error),
              line: 1,
              column: 1,
            },
          ]);
        });
    }, 250);
    return () => {
      controller.abort();
      window.clearTimeout(timer);
    };
  }, [text, type]);
  return diagnostics;
}

/** The graph of the latest text that parses and lays out; the previous one meanwhile. */
export function useLiveGraph(text: string): LaidOutGraph | undefined {
  const [graph, setGraph] = useState<LaidOutGraph>();
  useEffect(() => {
    let cancelled = false;
    const timer = window.setTimeout(() => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        return;
      }
      layoutDefinition(parsed)
        .then((g) => {
          if (!cancelled) setGraph(g);
        })
        .catch(() => undefined);
    }, 200);
    return () => {
      cancelled = true;
      window.clearTimeout(timer);
    };
  }, [text]);
  return graph;
}

export function DefinitionEditor(props: {
  text: string;
  onChange: (text: string) => void;
  diagnostics: LocatedDiagnostic[] | undefined;
  readOnly?: boolean;
}) {
  const { text, diagnostics } = props;
  const area = useRef<HTMLTextAreaElement>(null);
  const gutter = useRef<HTMLDivElement>(null);
  const lineCount = useMemo(() => text.split('\n').length, [text]);
  const marked = useMemo(() => {
    const map = new Map<number, 'ERROR' | 'WARNING'>();
    for (const d of diagnostics ?? []) if (map.get(d.line) !== 'ERROR') map.set(d.line, d.severity);
    return map;
  }, [diagnostics]);

  const jumpTo = (d: LocatedDiagnostic): void => {
    const el = area.current;
    if (el === null) return;
    const lines = text.split('\n');
    let offset = 0;
    for (let i = 0; i < d.line - 1 && i < lines.length; i++) offset += (lines[i]?.length ?? 0) + 1;
    offset += Math.max(0, d.column - 1);
    el.focus();
    el.setSelectionRange(offset, offset);
    const lineHeight = 18;
    el.scrollTop = Math.max(0, (d.line - 5) * lineHeight);
  };

  const errors = diagnostics?.filter((d) => d.severity === 'ERROR').length ?? 0;
  return (
    <div className="editor">
      <div className="editor-body">
        <div className="gutter" ref={gutter} aria-hidden="true">
          {Array.from({ length: lineCount }, (_, i) => (
            <div
              key={i}
              className={`gutter-line ${marked.has(i + 1) ? `mark-${marked.get(i + 1)?.toLowerCase()}` : ''}`}
            >
              {i + 1}
            </div>
          ))}
        </div>
        <textarea
          ref={area}
          className="code"
          value={text}
          spellCheck={false}
          readOnly={props.readOnly}
          aria-label="Definition (JSON)"
          data-testid="definition-editor"
          onChange={(e) => props.onChange(e.target.value)}
          onScroll={(e) => {
            if (gutter.current !== null) gutter.current.scrollTop = e.currentTarget.scrollTop;
          }}
          onKeyDown={(e) => {
            if (e.key === 'Tab' && !e.shiftKey && !props.readOnly) {
              e.preventDefault();
              const el = e.currentTarget;
              const start = el.selectionStart;
              const next = `${text.slice(0, start)}  ${text.slice(el.selectionEnd)}`;
              props.onChange(next);
              requestAnimationFrame(() => el.setSelectionRange(start + 2, start + 2));
            }
          }}
        />
      </div>
      <div className="diagnostics" data-testid="diagnostics" aria-live="polite">
        {diagnostics === undefined ? (
          <span className="muted">Validating…</span>
        ) : diagnostics.length === 0 ? (
          <span className="ok">✓ Valid definition</span>
        ) : (
          <>
            <div className="muted">
              {errors} error{errors === 1 ? '' : 's'}, {diagnostics.length - errors} warning
              {diagnostics.length - errors === 1 ? '' : 's'}
            </div>
            <ul>
              {diagnostics.map((d, i) => (
                <li key={i} className={`diagnostic ${d.severity.toLowerCase()}`}>
                  <button type="button" className="link" onClick={() => jumpTo(d)}>
                    {d.line}:{d.column}
                  </button>{' '}
                  <strong>{d.code}</strong> {d.message}
                  {d.location !== undefined && d.location !== '' ? (
                    <code className="location"> {d.location}</code>
                  ) : null}
                </li>
              ))}
            </ul>
          </>
        )}
      </div>
    </div>
  );
}

export function LiveGraph(props: { text: string }) {
  const graph = useLiveGraph(props.text);
  if (graph === undefined)
    return <div className="graph placeholder muted">The graph appears once the JSON parses.</div>;
  return <GraphView graph={graph} height={520} />;
}
