/**
 * One value per key, made on first use and kept: the prom-client children (`metric.labels(...)`) of
 * a hot path, so a call or message looks its series up by a string instead of building a label object
 * every time. Keys must come from a bounded set (queue × outcome, method × status code), as label
 * values must anyway.
 */
export class LabelledChildren<T> {
  private readonly children = new Map<string, T>();

  constructor(private readonly make: (key: string) => T) {}

  get(key: string): T {
    let child = this.children.get(key);
    if (child === undefined) {
      child = this.make(key);
      this.children.set(key, child);
    }
    return child;
  }
}
