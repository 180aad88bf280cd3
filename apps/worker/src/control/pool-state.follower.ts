import { Logger } from '@nestjs/common';
import type { PoolControlState, PoolName } from '@gantry/contracts';
import type { GantryKafkaServer, PoolControlReader } from '@gantry/kafka';

/** Abort reason of jobs interrupted by a forced stop: the runner throws JobInterrupted and the job is replayed. */
export const POOL_STOPPED = 'pool-stopped';

/** What a worker does with its pool's desired state; `paused` undefined means running. */
export function applyPoolState(server: Pick<GantryKafkaServer, 'setDispatching' | 'abortWhere'>, state: PoolControlState | undefined): { dispatching: boolean; aborted: number } {
  const paused = state?.paused === true;
  server.setDispatching(!paused);
  // Forced: in-flight jobs go back to the head of their queue, unfinished, and run after a start.
  // Applying it again is harmless: nothing runs while dispatching is off.
  const aborted = paused && state?.stop_mode === 'forced' ? server.abortWhere(() => true, POOL_STOPPED) : 0;
  return { dispatching: !paused, aborted };
}

/**
 * Makes this replica follow its pool's desired state from the control topic. Call it after the
 * reader has caught up and before the transport listens, so a stopped pool never dispatches a
 * job after a restart. Returns the unsubscribe function.
 */
export function followPoolState(server: GantryKafkaServer, reader: PoolControlReader, pool: PoolName): () => void {
  const log = new Logger('PoolState');
  const apply = (state: PoolControlState | undefined) => {
    const { dispatching, aborted } = applyPoolState(server, state);
    log.log({ msg: dispatching ? 'pool running' : 'pool stopped', pool, stop_mode: dispatching ? undefined : (state?.stop_mode ?? 'graceful'), aborted });
  };
  apply(reader.get(pool));
  let last = reader.get(pool);
  return reader.onChange((state) => {
    if (state.pool !== pool) return;
    // Other fields (OCR resolution) change too: act only when the run state does.
    const changed = (last?.paused === true) !== (state.paused === true) || (state.paused === true && state.stop_mode !== last?.stop_mode);
    last = state;
    if (changed) apply(state);
  });
}
