/**
 * One value per key, made on first use and kept: the prom-client children (`metric.labels(...)`) of
 * a hot path, so a call or message finds its series by a key it already has (a method definition, a
 * status code, an outcome string) instead of building a label object, or a key string, every time.
 * Nest them for several labels. Keys must come from a bounded set, as label values must anyway.
 */
export class LabelledChildren<K, T> {
  private readonly children = new Map<K, T>();

  constructor(private readonly make: (key: K) => T) {}

  get(key: K): T {
    let child = this.children.get(key);
    if (child === undefined) {
      child = this.make(key);
      this.children.set(key, child);
    }
    return child;
  }
}
