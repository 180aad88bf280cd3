import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';

export interface MissingModelRequest {
  model: string;
  client_id: string | null;
  at: Date;
}

@Injectable()
export class MissingModelsRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /** One statement for a batch of requests for models Gantry does not serve. */
  async recordMany(rows: MissingModelRequest[]): Promise<void> {
    if (!rows.length) return;
    await this.ds.query(
      `INSERT INTO missing_model_requests (model, client_id, at)
       SELECT model, client_id, at FROM jsonb_to_recordset($1::jsonb) AS x(model text, client_id text, at timestamptz)`,
      [JSON.stringify(rows)],
    );
  }

  async recent(limit: number): Promise<MissingModelRequest[]> {
    return this.ds.query(`SELECT model, client_id, at FROM missing_model_requests ORDER BY at DESC, id DESC LIMIT $1`, [limit]);
  }
}
