/**
 * Where a JSON location (`/States/Check/Next`, as the validator reports it) sits in the file's
 * text, so that diagnostics read `file.json:12:7` and editors can jump there. Member locations
 * point at the member's key; array elements at the element. State names are used as written
 * (the validator does not escape `/` in them), so this map is built the same way.
 */

export interface Position {
  line: number;
  column: number;
}

export class JsonLocator {
  private readonly offsets = new Map<string, number>();
  private readonly lineStarts: number[] = [0];

  constructor(private readonly text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
    try {
      new Scanner(text, this.offsets).document();
    } catch {
      // Invalid JSON: the parser's own diagnostic carries the line and column already.
    }
  }

  /** The position of `location`, or of its nearest ancestor that exists in the text. */
  locate(location: string): Position {
    let pointer = location === '/' ? '' : location;
    for (;;) {
      const offset = this.offsets.get(pointer);
      if (offset !== undefined) return this.position(offset);
      if (pointer === '') return { line: 1, column: 1 };
      pointer = pointer.slice(0, pointer.lastIndexOf('/'));
    }
  }

  private position(offset: number): Position {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.lineStarts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - (this.lineStarts[lo] ?? 0) + 1 };
  }
}

class Scanner {
  private pos = 0;

  constructor(
    private readonly text: string,
    private readonly offsets: Map<string, number>,
  ) {}

  document(): void {
    this.value('');
  }

  private ws(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos] ?? '')) this.pos++;
  }

  private value(pointer: string): void {
    this.ws();
    if (!this.offsets.has(pointer)) this.offsets.set(pointer, this.pos);
    const c = this.text[this.pos];
    if (c === '{') this.object(pointer);
    else if (c === '[') this.array(pointer);
    else if (c === '"') this.string();
    else if (c === undefined) throw new Error('unexpected end');
    else {
      const match = /^[^\s,\]}]+/.exec(this.text.slice(this.pos, this.pos + 64));
      if (match === null) throw new Error('unexpected character');
      this.pos += match[0].length;
    }
  }

  private object(pointer: string): void {
    this.pos++;
    this.ws();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return;
    }
    for (;;) {
      this.ws();
      const keyAt = this.pos;
      const key = this.string();
      const child = `${pointer}/${key}`;
      // A duplicate key keeps its first position, as the first occurrence is what is reported.
      if (!this.offsets.has(child)) this.offsets.set(child, keyAt);
      this.ws();
      if (this.text[this.pos] !== ':') throw new Error('expected :');
      this.pos++;
      this.value(child);
      this.ws();
      const c = this.text[this.pos++];
      if (c === '}') return;
      if (c !== ',') throw new Error('expected , or }');
    }
  }

  private array(pointer: string): void {
    this.pos++;
    this.ws();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return;
    }
    for (let index = 0; ; index++) {
      this.value(`${pointer}/${index}`);
      this.ws();
      const c = this.text[this.pos++];
      if (c === ']') return;
      if (c !== ',') throw new Error('expected , or ]');
    }
  }

  private string(): string {
    const start = this.pos;
    if (this.text[this.pos] !== '"') throw new Error('expected a string');
    this.pos++;
    while (this.pos < this.text.length) {
      const c = this.text[this.pos++];
      if (c === '\\') this.pos++;
      else if (c === '"') return JSON.parse(this.text.slice(start, this.pos)) as string;
    }
    throw new Error('unterminated string');
  }
}
