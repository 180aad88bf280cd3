// Prometheus metrics with vLLM's names, on a per-simulator Registry (several simulators
// share one test process, so the global default registry is never used).
//
// Hot-path cost is kept to plain field increments: gauges and counters are filled from
// the per-model tallies at scrape time (`collect`); only the two histograms observe per
// request.

import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Per-model tallies, updated by the simulator on the request path. */
export class ModelTally {
  running = 0;
  waiting = 0;
  promptTokens = 0;
  generationTokens = 0;
  successStop = 0;
  successLength = 0;
  successAbort = 0;
  constructor(readonly name: string) {}
}

// Bucket boundaries as in vLLM's prometheus logger.
const TTFT_BUCKETS = [
  0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0,
  40.0, 80.0, 160.0, 640.0, 2560.0,
];
const E2E_BUCKETS = [
  0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0, 240.0,
  480.0, 960.0, 1920.0, 7680.0,
];

export class SimMetrics {
  readonly registry = new Registry();
  private readonly ttft: Histogram<'model_name'>;
  private readonly e2e: Histogram<'model_name'>;

  /** `tallies()` returns the models to report (served models, plus any still busy). */
  constructor(tallies: () => Iterable<ModelTally>, maxNumSeqs: () => number) {
    const registers = [this.registry];
    new Gauge({
      name: 'vllm:num_requests_running',
      help: 'Number of requests in model execution batches.',
      labelNames: ['model_name'],
      registers,
      collect() {
        this.reset();
        for (const t of tallies()) this.set({ model_name: t.name }, t.running);
      },
    });
    new Gauge({
      name: 'vllm:num_requests_waiting',
      help: 'Number of requests waiting to be processed.',
      labelNames: ['model_name'],
      registers,
      collect() {
        this.reset();
        for (const t of tallies()) this.set({ model_name: t.name }, t.waiting);
      },
    });
    new Gauge({
      name: 'vllm:kv_cache_usage_perc',
      help: 'KV-cache usage. 1 means 100 percent usage (simulated as running / max_num_seqs).',
      labelNames: ['model_name'],
      registers,
      collect() {
        this.reset();
        const max = maxNumSeqs();
        for (const t of tallies()) this.set({ model_name: t.name }, max > 0 ? Math.min(1, t.running / max) : 0);
      },
    });
    new Counter({
      name: 'vllm:prompt_tokens_total',
      help: 'Number of prefill tokens processed.',
      labelNames: ['model_name'],
      registers,
      collect() {
        this.reset();
        for (const t of tallies()) this.inc({ model_name: t.name }, t.promptTokens);
      },
    });
    new Counter({
      name: 'vllm:generation_tokens_total',
      help: 'Number of generation tokens processed.',
      labelNames: ['model_name'],
      registers,
      collect() {
        this.reset();
        for (const t of tallies()) this.inc({ model_name: t.name }, t.generationTokens);
      },
    });
    new Counter({
      name: 'vllm:request_success_total',
      help: 'Count of successfully processed requests.',
      labelNames: ['model_name', 'finished_reason'],
      registers,
      collect() {
        this.reset();
        for (const t of tallies()) {
          this.inc({ model_name: t.name, finished_reason: 'stop' }, t.successStop);
          this.inc({ model_name: t.name, finished_reason: 'length' }, t.successLength);
          this.inc({ model_name: t.name, finished_reason: 'abort' }, t.successAbort);
        }
      },
    });
    this.ttft = new Histogram({
      name: 'vllm:time_to_first_token_seconds',
      help: 'Histogram of time to first token in seconds.',
      labelNames: ['model_name'],
      buckets: TTFT_BUCKETS,
      registers,
    });
    this.e2e = new Histogram({
      name: 'vllm:e2e_request_latency_seconds',
      help: 'Histogram of end to end request latency in seconds.',
      labelNames: ['model_name'],
      buckets: E2E_BUCKETS,
      registers,
    });
  }

  observe(model: string, ttftSeconds: number, e2eSeconds: number): void {
    const labels = { model_name: model };
    this.ttft.observe(labels, ttftSeconds);
    this.e2e.observe(labels, e2eSeconds);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}
