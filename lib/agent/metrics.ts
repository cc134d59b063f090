// The agent's metrics endpoint (`--metrics 127.0.0.1:9464`, or "metrics" in
// the file): the Prometheus exporter (lib/hotpath/exporter.ts) for the
// agent's namespace, with the overlay's devices as its links.
import { createExporter } from '../hotpath/exporter.js';

export interface MetricsServer {
  /** http://host:port/metrics. */
  readonly url: string;
  close(): Promise<void>;
}

export interface MetricsSources {
  netns?: string;
  /** Links whose counters to export (the overlay's devices). */
  links?: string[];
}

export async function startMetrics(listen: string, sources: MetricsSources): Promise<MetricsServer> {
  const exporter = await createExporter({ listen, netns: sources.netns, links: sources.links ?? [] });
  return { url: exporter.url ?? listen, close: () => exporter.close() };
}
