/** Small shared pieces: routing by hash, polling, formatting, JSON display, a virtual list. */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { ReactNode } from 'react';

export function useHashRoute(): { path: string; query: URLSearchParams } {
  const read = (): { path: string; query: URLSearchParams } => {
    const hash = window.location.hash.replace(/^#/, '') || '/';
    const [path = '/', search = ''] = hash.split('?', 2);
    return { path, query: new URLSearchParams(search) };
  };
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const onChange = (): void => setRoute(read());
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

export function href(path: string, query?: Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {}))
    if (value !== undefined && value !== '') params.set(key, value);
  const search = params.toString();
  return `#${path}${search !== '' ? `?${search}` : ''}`;
}

export function navigate(path: string, query?: Record<string, string | undefined>): void {
  window.location.hash = href(path, query);
}

/** Runs `load` now and every `intervalMs` while `active`; the latest result and error. */
export function usePolling<T>(
  load: (signal: AbortSignal) => Promise<T>,
  intervalMs: number,
  deps: readonly unknown[],
  active = true,
): { data: T | undefined; error: string | undefined; reload: () => void } {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<string>();
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    const controller = new AbortController();
    let timer: number | undefined;
    const run = async (): Promise<void> => {
      try {
        const value = await loadRef.current(controller.signal);
        if (controller.signal.aborted) return;
        setData(value);
        setError(undefined);
      } catch (e) {
        if (controller.signal.aborted) return;
        setError(e instanceof Error ? e.message : String(e));
      }
      if (active && intervalMs > 0 && !controller.signal.aborted)
        timer = window.setTimeout(() => void run(), intervalMs);
    };
    void run();
    return () => {
      controller.abort();
      if (timer !== undefined) window.clearTimeout(timer);
    };
  }, [...deps, tick, active, intervalMs]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, reload };
}

export function formatDate(epochSeconds: number | undefined): string {
  if (epochSeconds === undefined) return '—';
  const d = new Date(epochSeconds * 1000);
  return `${d.toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: '2-digit' })} ${d.toLocaleTimeString(undefined, { hour12: false })}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

/** JSON text shown pretty-printed when it parses, as written otherwise; always as text. */
export function JsonBlock(props: { value: string | undefined | null; label?: string; testId?: string }) {
  if (props.value === undefined || props.value === null) return <p className="muted">—</p>;
  let shown = props.value;
  try {
    shown = JSON.stringify(JSON.parse(props.value), null, 2);
  } catch {
    // not JSON: shown as it is
  }
  return (
    <pre className="json" aria-label={props.label} data-testid={props.testId}>
      {shown}
    </pre>
  );
}

export function StatusBadge(props: { status: string }) {
  return (
    <span className={`badge badge-${props.status.toLowerCase()}`}>{props.status.replace(/_/g, ' ')}</span>
  );
}

export function ErrorBanner(props: { error: string | undefined }) {
  if (props.error === undefined) return null;
  return (
    <div className="error-banner" role="alert">
      {props.error}
    </div>
  );
}

/**
 * Renders only the rows in view (fixed row height), so 25,000 history events scroll as
 * smoothly as 25. The container scrolls; rows are absolutely placed inside a tall spacer.
 */
export function VirtualList<T>(props: {
  items: readonly T[];
  rowHeight: number;
  height: number;
  renderRow: (item: T, index: number) => ReactNode;
  ariaLabel: string;
  testId?: string;
}) {
  const { items, rowHeight, height, renderRow } = props;
  const [scrollTop, setScrollTop] = useState(0);
  const overscan = 10;
  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan);
  const last = Math.min(items.length, Math.ceil((scrollTop + height) / rowHeight) + overscan);
  const rows: ReactNode[] = [];
  for (let i = first; i < last; i++) {
    const item = items[i];
    if (item === undefined) continue;
    rows.push(
      <div key={i} className="vrow" style={{ top: i * rowHeight, height: rowHeight }} role="row">
        {renderRow(item, i)}
      </div>,
    );
  }
  return (
    <div
      className="vlist"
      style={{ height }}
      onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}
      role="table"
      aria-label={props.ariaLabel}
      aria-rowcount={items.length}
      tabIndex={0}
      data-testid={props.testId}
    >
      <div style={{ height: items.length * rowHeight, position: 'relative' }}>{rows}</div>
    </div>
  );
}

export function download(filename: string, text: string): void {
  const blob = new Blob([text], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
