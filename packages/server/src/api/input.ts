/**
 * Typed reads of a request body that `validateInput` has already checked against the model,
 * so a type mismatch here is a programming error, not a client error.
 */
export class Input {
  constructor(private readonly body: Record<string, unknown>) {}

  string(name: string): string {
    const value = this.body[name];
    if (typeof value !== 'string') throw new Error(`${name} must be a validated string`);
    return value;
  }

  optionalString(name: string): string | undefined {
    const value = this.body[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') throw new Error(`${name} must be a validated string`);
    return value;
  }

  optionalNumber(name: string): number | undefined {
    const value = this.body[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number') throw new Error(`${name} must be a validated number`);
    return value;
  }

  optionalBoolean(name: string): boolean | undefined {
    const value = this.body[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'boolean') throw new Error(`${name} must be a validated boolean`);
    return value;
  }

  stringList(name: string): string[] {
    const value = this.body[name];
    if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
      throw new Error(`${name} must be a validated list of strings`);
    }
    return value;
  }

  has(name: string): boolean {
    return this.body[name] !== undefined && this.body[name] !== null;
  }

  raw(name: string): unknown {
    return this.body[name];
  }
}
