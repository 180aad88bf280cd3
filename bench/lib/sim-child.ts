// The vLLM simulator in its own process, driven by the runner over IPC: start with options, read
// stats (saturatedMs, busyMs, running...), reset them, change options live. Its own process keeps
// its timers and its CPU apart from the runner and the load generators, as a real vLLM would be.
import { startSimulator, type SimOptions, type Simulator } from '../../apps/vllm-sim/src/simulator';

type Request =
  | { id: number; op: 'start'; options: SimOptions }
  | { id: number; op: 'stats' }
  | { id: number; op: 'reset' }
  | { id: number; op: 'configure'; options: Partial<SimOptions> };

let sim: Simulator | undefined;

async function handle(req: Request): Promise<unknown> {
  switch (req.op) {
    case 'start':
      sim = await startSimulator({ port: 0, ...req.options });
      return { url: sim.url, port: sim.port };
    case 'stats': {
      // The request log is large and not needed here.
      const { requests: _requests, ...stats } = sim!.stats();
      return stats;
    }
    case 'reset':
      sim!.resetStats();
      return null;
    case 'configure':
      sim!.configure(req.options);
      return null;
  }
}

process.on('message', (req: Request) => {
  handle(req).then(
    (result) => process.send!({ id: req.id, result }),
    (err: Error) => process.send!({ id: req.id, error: err.stack ?? err.message }),
  );
});
process.on('disconnect', () => {
  void (sim?.close() ?? Promise.resolve()).finally(() => process.exit(0));
});
