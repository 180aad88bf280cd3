import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { MissingModelsRepository, type MissingModelRequest } from '@gantry/db';

/** `GET /admin/missing-models` item (reference/002). */
export interface MissingModelEntry {
  model_name: string;
  client_id: string | null;
  timestamp: string;
}

const FLUSH_MS = 200;
const FLUSH_AT = 100;
/** Beyond this many unwritten records (Postgres down, or a flood) new ones are dropped and counted. */
const MAX_PENDING = 10_000;
const MAX_MODEL_CHARS = 200;

/**
 * Records requests for models Gantry does not serve without slowing their 404: `record` only
 * appends to a buffer, written by one multi-row insert every 200 ms (or at 100 records). A failed
 * write is logged; the records are dropped rather than retried, since they are diagnostics.
 */
@Injectable()
export class MissingModelsService implements OnModuleDestroy {
  private readonly log = new Logger(MissingModelsService.name);
  private pending: MissingModelRequest[] = [];
  private timer?: NodeJS.Timeout;
  private writing: Promise<void> = Promise.resolve();
  private dropped = 0;

  constructor(private readonly repo: MissingModelsRepository) {}

  record(model: string, clientId: string | null): void {
    if (this.pending.length >= MAX_PENDING) {
      this.dropped++;
      return;
    }
    this.pending.push({ model: model.slice(0, MAX_MODEL_CHARS), client_id: clientId, at: new Date() });
    if (this.pending.length >= FLUSH_AT) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), FLUSH_MS);
  }

  /** Writes what is buffered; resolves once every earlier write has finished. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = [];
    const dropped = this.dropped;
    this.dropped = 0;
    this.writing = this.writing.then(async () => {
      if (dropped) this.log.warn({ msg: 'missing-model records dropped (too many unwritten)', dropped });
      if (!batch.length) return;
      try {
        await this.repo.recordMany(batch);
      } catch (err) {
        this.log.error({ msg: 'missing-model records not written', records: batch.length, err: String(err) });
      }
    });
    return this.writing;
  }

  /** The most recent records, newest first (including what was still buffered). */
  async recent(limit: number): Promise<MissingModelEntry[]> {
    await this.flush();
    const rows = await this.repo.recent(limit);
    return rows.map((r) => ({ model_name: r.model, client_id: r.client_id, timestamp: new Date(r.at).toISOString() }));
  }

  async onModuleDestroy(): Promise<void> {
    await this.flush();
  }
}
