import { Injectable } from '@nestjs/common';
import { GatewayEnv } from '@gantry/config';
import type { OcrResolution, PoolControlState } from '@gantry/contracts';
import { PoolControlReader, PoolControlWriter } from '@gantry/kafka';

const POOL = 'deepseek-ocr' as const;

/**
 * The `deepseek-ocr` pool's default resolution, kept in the compacted control topic so every
 * gateway and worker replica agrees on it and it survives restarts.
 */
@Injectable()
export class OcrResolutionService {
  constructor(
    private readonly env: GatewayEnv,
    private readonly reader: PoolControlReader,
    private readonly writer: PoolControlWriter,
  ) {}

  current(): OcrResolution {
    return this.reader.get(POOL)?.resolution ?? this.env.OCR_DEFAULT_RESOLUTION;
  }

  /**
   * Graceful: jobs already queued keep the resolution they were given. Not graceful: queued jobs
   * that took the pool default switch too, when a worker picks them up. Running jobs finish as
   * they are either way (each vLLM request carries its own image).
   */
  switch(resolution: OcrResolution, graceful: boolean): Promise<PoolControlState> {
    if (graceful) return this.writer.update(POOL, { resolution });
    return this.writer.update(POOL, { resolution, forced_resolution: resolution, resolution_applies_from: new Date().toISOString() });
  }
}
