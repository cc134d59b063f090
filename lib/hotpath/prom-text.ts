// The Prometheus text exposition format (version 0.0.4): a HELP and TYPE line
// per metric family, then its samples, each family's samples together.
// Samples of one family with the same labels are summed, as node_exporter
// does when its labels cannot tell two series apart.

export type MetricType = 'counter' | 'gauge';
export type Labels = Readonly<Record<string, string>>;

export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

interface Family {
  type: MetricType;
  help: string;
  /** Rendered label set → value. */
  samples: Map<string, bigint | number>;
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function renderLabels(labels: Labels | undefined): string {
  if (labels === undefined) return '';
  const keys = Object.keys(labels);
  if (keys.length === 0) return '';
  return `{${keys.map((k) => `${k}="${escapeLabel(labels[k]!)}"`).join(',')}}`;
}

function renderValue(v: bigint | number): string {
  if (typeof v === 'bigint') return v.toString();
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

export class MetricsText {
  private readonly families = new Map<string, Family>();

  /** Declares a family (idempotent); samples may follow in any order. */
  declare(name: string, type: MetricType, help: string): this {
    if (!this.families.has(name)) this.families.set(name, { type, help, samples: new Map() });
    return this;
  }

  /** Adds a sample to a declared family; equal label sets add up. */
  add(name: string, labels: Labels | undefined, value: bigint | number): this {
    const family = this.families.get(name);
    if (family === undefined) throw new Error(`metric ${name} was not declared`);
    const key = renderLabels(labels);
    const had = family.samples.get(key);
    if (had === undefined) family.samples.set(key, value);
    else family.samples.set(key, typeof had === 'bigint' && typeof value === 'bigint' ? had + value : Number(had) + Number(value));
    return this;
  }

  text(): string {
    const out: string[] = [];
    for (const [name, f] of this.families) {
      out.push(`# HELP ${name} ${escapeHelp(f.help)}`, `# TYPE ${name} ${f.type}`);
      for (const [labels, value] of f.samples) out.push(`${name}${labels} ${renderValue(value)}`);
    }
    out.push('');
    return out.join('\n');
  }
}
