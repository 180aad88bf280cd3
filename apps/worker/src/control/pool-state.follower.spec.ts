import type { PoolControlState } from '@gantry/contracts';
import { applyPoolState, POOL_STOPPED } from './pool-state.follower';

function fakeServer(running: number) {
  const calls: Array<[string, unknown]> = [];
  return {
    calls,
    setDispatching: (enabled: boolean) => void calls.push(['dispatching', enabled]),
    abortWhere: (_pred: unknown, reason?: string) => {
      calls.push(['abort', reason]);
      return running;
    },
  };
}
const state = (over: Partial<PoolControlState>): PoolControlState => ({ schema: 1, pool: 'gemma', updated_at: '2026-01-15T17:00:00.000Z', ...over });

describe('applyPoolState', () => {
  it('runs when no state was ever written or the pool was started', () => {
    for (const s of [undefined, state({ paused: false }), state({ resolution: 'tiny' })]) {
      const server = fakeServer(3);
      expect(applyPoolState(server, s)).toEqual({ dispatching: true, aborted: 0 });
      expect(server.calls).toEqual([['dispatching', true]]);
    }
  });

  it('a graceful stop only stops dispatching: in-flight jobs finish', () => {
    const server = fakeServer(3);
    expect(applyPoolState(server, state({ paused: true, stop_mode: 'graceful' }))).toEqual({ dispatching: false, aborted: 0 });
    expect(server.calls).toEqual([['dispatching', false]]);
  });

  it('a forced stop stops dispatching first, then aborts every in-flight job with the pool-stopped reason', () => {
    const server = fakeServer(3);
    expect(applyPoolState(server, state({ paused: true, stop_mode: 'forced' }))).toEqual({ dispatching: false, aborted: 3 });
    expect(server.calls).toEqual([
      ['dispatching', false],
      ['abort', POOL_STOPPED],
    ]);
  });
});
