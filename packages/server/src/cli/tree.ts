/**
 * An execution's history as a tree a person can read: one branch per state visited, with what
 * happened inside it (activity scheduled, started, failed, retried, timed out), where it went
 * next, and how the execution ended. Parallel and Map states nest their events one level down.
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import type { Palette } from './style.js';

interface Visit {
  name: string;
  type: string;
  at: number;
  lines: string[];
  failed: boolean;
  exited: boolean;
  next?: string;
  children: Visit[];
}

/** The `…EventDetails` member of an event, whatever its type. */
function details(event: HistoryEvent): Record<string, unknown> {
  for (const [key, value] of Object.entries(event)) {
    if (key.endsWith('EventDetails') && typeof value === 'object' && value !== null) {
      return value as Record<string, unknown>;
    }
  }
  return {};
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : value === undefined ? '' : JSON.stringify(value);
}

function compact(json: unknown, max = 120): string {
  let text = str(json);
  try {
    text = JSON.stringify(JSON.parse(text));
  } catch {
    // Not JSON text: show as is.
  }
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function activityName(resource: unknown): string {
  const text = str(resource);
  const at = text.indexOf(':activity:');
  return at >= 0 ? text.slice(at + ':activity:'.length) : text;
}

function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export interface TreeOptions {
  machineName: string;
  status: string;
  colours: Palette;
}

export function renderTree(events: HistoryEvent[], options: TreeOptions): string {
  const c = options.colours;
  const t0 = events[0]?.timestamp?.getTime() ?? 0;
  const offset = (event: HistoryEvent): number => (event.timestamp?.getTime() ?? t0) - t0;
  const root: Visit[] = [];
  const stack: Visit[][] = [root];
  const open: Visit[] = [];
  const footer: string[] = [];
  let input = '';
  let endedAt = 0;

  const current = (): Visit | undefined => open[open.length - 1];
  const note = (line: string): void => {
    const visit = current();
    if (visit !== undefined) visit.lines.push(line);
    else footer.push(line);
  };

  for (const event of events) {
    const type: string = event.type ?? '';
    const d = details(event);
    const at = offset(event);
    const entered = /^(\w+?)StateEntered$/.exec(type);
    const exited = /^(\w+?)StateExited$/.exec(type);
    if (type === 'ExecutionStarted') {
      input = compact(d['input']);
    } else if (entered !== null) {
      const level = stack[stack.length - 1] ?? root;
      const previous = level[level.length - 1];
      if (previous !== undefined && previous.next === undefined) previous.next = str(d['name']);
      const visit: Visit = {
        name: str(d['name']),
        type: entered[1] ?? '',
        at,
        lines: [],
        failed: false,
        exited: false,
        children: [],
      };
      level.push(visit);
      open.push(visit);
      if (visit.type === 'Parallel' || visit.type === 'Map') stack.push(visit.children);
    } else if (exited !== null) {
      const visit = current();
      if (visit !== undefined) {
        visit.exited = true;
        const output = d['output'];
        if (output !== undefined) visit.lines.push(c.dim(`output ${compact(output)}`));
        if (visit.type === 'Parallel' || visit.type === 'Map') stack.pop();
        open.pop();
      }
    } else if (type === 'ActivityScheduled' || type === 'TaskScheduled') {
      const visit = current();
      const attempts = visit?.lines.filter((l) => l.includes('scheduled')).length ?? 0;
      const timeouts: string[] = [];
      if (d['timeoutInSeconds'] !== undefined) timeouts.push(`timeout ${str(d['timeoutInSeconds'])} s`);
      if (d['heartbeatInSeconds'] !== undefined) timeouts.push(`heartbeat ${str(d['heartbeatInSeconds'])} s`);
      const what =
        type === 'ActivityScheduled' ? `activity ${c.cyan(activityName(d['resource']))}` : str(d['resource']);
      const retry = attempts > 0 ? c.yellow(`retry #${attempts} · `) : '';
      note(
        `${retry}${what} scheduled${timeouts.length > 0 ? c.dim(` (${timeouts.join(', ')})`) : ''} ${c.dim(`+${duration(at)}`)}`,
      );
    } else if (type === 'ActivityStarted' || type === 'TaskStarted') {
      note(
        `started${d['workerName'] !== undefined ? ` by ${str(d['workerName'])}` : ''} ${c.dim(`+${duration(at)}`)}`,
      );
    } else if (type === 'ActivitySucceeded' || type === 'TaskSucceeded') {
      const visit = current();
      if (visit !== undefined) visit.failed = false;
      note(`${c.green('✓ succeeded')} ${c.dim(`+${duration(at)}`)}`);
    } else if (
      /(Failed|TimedOut|ScheduleFailed|StartFailed|SubmitFailed)$/.test(type) &&
      !type.startsWith('Execution')
    ) {
      const visit = current();
      if (visit !== undefined) visit.failed = true;
      const label = /TimedOut$/.test(type) ? 'timed out' : 'failed';
      const cause = str(d['cause']);
      note(
        `${c.red(`✗ ${label}`)} ${c.bold(str(d['error']))}${cause !== '' ? `: ${cause}` : ''} ${c.dim(`+${duration(at)}`)}`,
      );
    } else if (type.startsWith('Execution')) {
      endedAt = at;
      // ExecutionTimedOut → TIMED_OUT, as DescribeExecution spells the status.
      const status = type
        .slice('Execution'.length)
        .replace(/([a-z])([A-Z])/g, '$1_$2')
        .toUpperCase();
      if (type === 'ExecutionSucceeded') footer.push(c.green(`✓ ${status}`));
      else {
        const cause = str(d['cause']);
        footer.push(
          `${c.red(`✗ ${status}`)}${d['error'] !== undefined ? ` ${c.bold(str(d['error']))}` : ''}${cause !== '' ? `: ${cause}` : ''}`,
        );
      }
    } else if (
      type === 'MapIterationStarted' ||
      type === 'MapIterationSucceeded' ||
      type === 'MapIterationFailed'
    ) {
      note(c.dim(`${type.slice('MapIteration'.length).toLowerCase()} iteration ${str(d['index'])}`));
    } else if (type !== '') {
      note(c.dim(type));
    }
  }

  const lines: string[] = [];
  const statusColour =
    options.status === 'SUCCEEDED' ? c.green : options.status === 'RUNNING' ? c.yellow : c.red;
  lines.push(
    `${c.bold(options.machineName)} ${statusColour(options.status)} ${c.dim(`in ${duration(endedAt)}`)}`,
  );
  if (input !== '') lines.push(c.dim(`input ${input}`));
  const draw = (visits: Visit[], prefix: string): void => {
    visits.forEach((visit, i) => {
      const last = i === visits.length - 1 && prefix !== '' ? true : false;
      const branch = last ? '└─ ' : '├─ ';
      const inner = prefix + (last ? '   ' : '│  ');
      const mark = visit.failed && visit.exited ? c.yellow(' (caught)') : '';
      lines.push(
        `${prefix}${branch}${c.bold(visit.name)} ${c.dim(visit.type)}${mark} ${c.dim(`+${duration(visit.at)}`)}`,
      );
      for (const line of visit.lines) lines.push(`${inner}${c.dim('·')} ${line}`);
      if (visit.children.length > 0) draw(visit.children, inner);
      if (visit.next !== undefined && visit.exited) lines.push(`${inner}${c.dim(`→ ${visit.next}`)}`);
    });
  };
  draw(root, '');
  for (const line of footer) lines.push(`└─ ${line}`);
  return lines.join('\n');
}
