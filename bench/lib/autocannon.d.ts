// The part of autocannon's programmatic API the benchmark uses (the package ships no types).
declare module 'autocannon' {
  function autocannon(opts: autocannon.Options): Promise<autocannon.Result>;
  namespace autocannon {
    interface Options {
      url: string;
      method?: 'GET' | 'POST';
      headers?: Record<string, string>;
      body?: string;
      connections?: number;
      pipelining?: number;
      /** Seconds. */
      duration?: number;
      timeout?: number;
    }
    interface Histogram {
      average: number;
      mean: number;
      min: number;
      max: number;
      p50: number;
      p90: number;
      p99: number;
      total: number;
    }
    interface Result {
      latency: Histogram;
      requests: Histogram & { sent: number };
      errors: number;
      timeouts: number;
      non2xx: number;
      /** Seconds. */
      duration: number;
      '2xx': number;
    }
  }
  export = autocannon;
}
