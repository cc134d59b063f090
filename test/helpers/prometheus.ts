// Parsing exporter output with a real Prometheus text-format parser
// (parse-prometheus-text-format, a port of the Python client's parser).
import parsePrometheus from 'parse-prometheus-text-format';

export interface MetricFamily {
  name: string;
  help: string;
  type: string;
  metrics: Array<{ value: string; labels?: Record<string, string> }>;
}

export interface Sample {
  value: number;
  labels: Record<string, string>;
}

export const parseMetrics = parsePrometheus as unknown as (text: string) => MetricFamily[];

/** The samples of one family (none if it is absent). */
export function samples(families: MetricFamily[], name: string): Sample[] {
  return (families.find((f) => f.name === name)?.metrics ?? []).map((m) => ({ value: Number(m.value), labels: m.labels ?? {} }));
}
