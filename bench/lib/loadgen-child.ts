// Child process that runs one load at a time for the runner (forked with IPC, see children.ts).
import { closedLoop, openLoop, type ClosedLoopSpec, type OpenLoopSpec } from './loadgen';

process.on('message', (msg: { id: number; spec: OpenLoopSpec | ClosedLoopSpec }) => {
  const run = msg.spec.kind === 'open' ? openLoop(msg.spec) : closedLoop(msg.spec);
  run.then(
    (result) => process.send!({ id: msg.id, result }),
    (err: Error) => process.send!({ id: msg.id, error: err.stack ?? err.message }),
  );
});
process.on('disconnect', () => process.exit(0));
