import { collectDefaultMetrics, Counter, Gauge, Histogram, register, type CounterConfiguration, type GaugeConfiguration, type HistogramConfiguration } from 'prom-client';

/**
 * One registry per process (prom-client's default): the embedded process (`npm start`) runs every
 * app in one process, so each metric is defined once here and every app increments the same
 * object. Several stacks in one jest process share it too; tests compare deltas.
 */
export const metricsRegistry = register;

let defaultsOn = false;

/** Node process metrics (CPU, memory, event-loop lag, GC), registered once per process. */
export function enableProcessMetrics(): void {
  if (defaultsOn) return;
  defaultsOn = true;
  collectDefaultMetrics({ register: metricsRegistry });
}

// get-or-create: a second copy of this module (e.g. two builds loaded in one process) reuses the
// registered metric instead of throwing "already registered".
export function counter<L extends string>(cfg: CounterConfiguration<L>): Counter<L> {
  return (metricsRegistry.getSingleMetric(cfg.name) as Counter<L> | undefined) ?? new Counter(cfg);
}

export function gauge<L extends string>(cfg: GaugeConfiguration<L>): Gauge<L> {
  return (metricsRegistry.getSingleMetric(cfg.name) as Gauge<L> | undefined) ?? new Gauge(cfg);
}

export function histogram<L extends string>(cfg: HistogramConfiguration<L>): Histogram<L> {
  return (metricsRegistry.getSingleMetric(cfg.name) as Histogram<L> | undefined) ?? new Histogram(cfg);
}

/** The text a Prometheus scrape gets, with its content type. */
export async function scrape(): Promise<{ contentType: string; body: string }> {
  return { contentType: metricsRegistry.contentType, body: await metricsRegistry.metrics() };
}
