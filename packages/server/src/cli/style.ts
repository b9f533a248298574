/**
 * Terminal output: colours only on a terminal (and never with NO_COLOR), and a one-line
 * progress indicator on stderr that disappears when the work is done. Piped output stays plain
 * so that scripts and tests read the same text a person sees, minus the escape codes.
 */
import type { WriteStream } from 'node:tty';

type Stream = NodeJS.WriteStream | WriteStream;

export function colourEnabled(stream: Stream): boolean {
  const force = process.env['FORCE_COLOR'];
  if (force !== undefined && force !== '') return force !== '0' && force !== 'false';
  if (process.env['NO_COLOR'] !== undefined && process.env['NO_COLOR'] !== '') return false;
  return stream.isTTY === true;
}

export interface Palette {
  bold: (text: string) => string;
  dim: (text: string) => string;
  red: (text: string) => string;
  green: (text: string) => string;
  yellow: (text: string) => string;
  cyan: (text: string) => string;
  magenta: (text: string) => string;
}

const code =
  (open: number, close: number) =>
  (text: string): string =>
    `\u001b[${open}m${text}\u001b[${close}m`;

const COLOURS: Palette = {
  bold: code(1, 22),
  dim: code(2, 22),
  red: code(31, 39),
  green: code(32, 39),
  yellow: code(33, 39),
  cyan: code(36, 39),
  magenta: code(35, 39),
};

const identity = (text: string): string => text;
const PLAIN: Palette = {
  bold: identity,
  dim: identity,
  red: identity,
  green: identity,
  yellow: identity,
  cyan: identity,
  magenta: identity,
};

export function palette(stream: Stream): Palette {
  return colourEnabled(stream) ? COLOURS : PLAIN;
}

export interface Progress {
  update(text: string): void;
  /** Clears the line; safe to call more than once. */
  done(): void;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** A spinner line on stderr, only when stderr is a terminal; otherwise nothing at all. */
export function progress(stream: Stream = process.stderr): Progress {
  if (stream.isTTY !== true) return { update: () => undefined, done: () => undefined };
  let text = '';
  let frame = 0;
  const draw = (): void => {
    const width = stream.columns ?? 80;
    const line = `${FRAMES[frame++ % FRAMES.length] ?? ''} ${text}`.slice(0, Math.max(10, width - 1));
    stream.write(`\r\u001b[2K${line}`);
  };
  const timer = setInterval(draw, 80);
  timer.unref();
  let finished = false;
  return {
    update(next) {
      text = next;
    },
    done() {
      if (finished) return;
      finished = true;
      clearInterval(timer);
      stream.write('\r\u001b[2K');
    },
  };
}
