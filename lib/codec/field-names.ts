// Attribute field names ("service.scheduler"), built once per base name and
// reused. A batch names about ten attributes per message; building each name
// per message was one string allocation per attribute (50k-op IPVS batches
// spent much of their GC time on them).

/** A function from a base name ("service") to its field names ({ scheduler: "service.scheduler", ... }). */
export function fieldNames<K extends string>(keys: readonly K[]): (base: string) => Readonly<Record<K, string>> {
  const cache = new Map<string, Record<K, string>>();
  return (base) => {
    let names = cache.get(base);
    if (names === undefined) {
      // Bases are few ("service", "destination"); a caller that varies them per call only loses the reuse.
      if (cache.size >= 64) cache.clear();
      names = {} as Record<K, string>;
      for (const k of keys) names[k] = `${base}.${k}`;
      cache.set(base, names);
    }
    return names;
  };
}
