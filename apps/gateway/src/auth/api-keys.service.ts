import { Injectable, Logger } from '@nestjs/common';
import { randomBytes, randomUUID } from 'node:crypto';
import { GatewayEnv } from '@gantry/config';
import { BACKEND_MODEL, poolOfModel } from '@gantry/contracts';
import { ApiKeysRepository, type ApiKeyRecord } from '@gantry/db';
import { ApiError, ApiErrorCode } from '../errors/api-error';
import { API_KEY_PREFIX } from './credentials';
import type { CreateApiKeyDto } from './dto/create-api-key.dto';
import { defaultLimits, limitsOfKey } from './limits';
import type { Principal } from './principal';
import { hashSecret } from './sessions.service';

/** How a key is shown: never its secret or hash. */
export interface ApiKeyView {
  id: string;
  prefix: string;
  client_id: string;
  service_name: string;
  rate_limit_rpm: number | null;
  rate_limit_burst: number | null;
  rate_limit_tpm: number | null;
  max_concurrent_jobs: number | null;
  allowed_models: string[] | null;
  created_at: string;
  revoked_at: string | null;
  last_used_at: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** last_used_at is a hint for rotation, not an audit log: written at most once a minute per key. */
const TOUCH_EVERY_MS = 60_000;

export function toApiKeyView(k: ApiKeyRecord): ApiKeyView {
  return {
    id: k.id,
    prefix: k.prefix,
    client_id: k.client_id,
    service_name: k.service_name,
    rate_limit_rpm: k.rate_limit_rpm,
    rate_limit_burst: k.rate_limit_burst,
    rate_limit_tpm: k.rate_limit_tpm,
    max_concurrent_jobs: k.max_concurrent_jobs,
    allowed_models: k.allowed_models,
    created_at: k.created_at.toISOString(),
    revoked_at: k.revoked_at?.toISOString() ?? null,
    last_used_at: k.last_used_at?.toISOString() ?? null,
  };
}

/**
 * Service credentials. A key is 32 random bytes behind `gk_`, shown once; only its SHA-256 is
 * stored (a key has full entropy, so a slow hash adds nothing and would slow every request).
 */
@Injectable()
export class ApiKeysService {
  private readonly log = new Logger(ApiKeysService.name);
  private readonly touched = new Map<string, number>();

  constructor(
    private readonly keys: ApiKeysRepository,
    private readonly env: GatewayEnv,
  ) {}

  async create(dto: CreateApiKeyDto, createdBy: string | null): Promise<ApiKeyView & { key: string }> {
    const allowed = dto.allowed_models?.map((model) => {
      const pool = poolOfModel(model);
      if (!pool) throw new ApiError(ApiErrorCode.InvalidRequest, 'Request body is invalid', [`allowed_models: unknown model ${model}`]);
      return BACKEND_MODEL[pool];
    });
    const secret = API_KEY_PREFIX + randomBytes(32).toString('base64url');
    const record = await this.keys.create({
      id: randomUUID(),
      clientId: dto.client_id,
      serviceName: dto.service_name,
      prefix: secret.slice(0, API_KEY_PREFIX.length + 8),
      keyHash: hashSecret(secret),
      rate_limit_rpm: dto.rate_limit_rpm ?? null,
      rate_limit_burst: dto.rate_limit_burst ?? null,
      rate_limit_tpm: dto.rate_limit_tpm ?? null,
      max_concurrent_jobs: dto.max_concurrent_jobs ?? null,
      allowed_models: allowed ? [...new Set(allowed)] : null,
      createdBy,
    });
    this.log.log({ msg: 'api key created', api_key_id: record.id, client_id: record.client_id, service: record.service_name });
    return { ...toApiKeyView(record), key: secret };
  }

  async list(clientId?: string): Promise<ApiKeyView[]> {
    return (await this.keys.list(clientId)).map(toApiKeyView);
  }

  async revoke(id: string): Promise<ApiKeyView> {
    if (!UUID.test(id)) throw new ApiError(ApiErrorCode.InvalidRequest, 'API key id must be a UUID');
    const record = await this.keys.revoke(id.toLowerCase());
    if (!record) throw new ApiError(ApiErrorCode.ApiKeyNotFound, `API key ${id} not found`);
    this.log.log({ msg: 'api key revoked', api_key_id: record.id, client_id: record.client_id });
    return toApiKeyView(record);
  }

  /** The principal of a presented key; null when unknown or revoked. */
  async authenticate(secret: string): Promise<Principal | null> {
    if (!secret.startsWith(API_KEY_PREFIX) || secret.length > 256) return null;
    const key = await this.keys.findActiveByHash(hashSecret(secret));
    if (!key) return null;
    this.touch(key.id);
    return {
      kind: 'api_key',
      id: key.id,
      role: 'client',
      clientId: key.client_id,
      serviceName: key.service_name,
      limits: limitsOfKey(key, defaultLimits(this.env)),
    };
  }

  private touch(id: string): void {
    const now = Date.now();
    if (now - (this.touched.get(id) ?? 0) < TOUCH_EVERY_MS) return;
    this.touched.set(id, now);
    this.keys.markUsed(id).catch((err: unknown) => this.log.warn({ msg: 'last_used_at not written', api_key_id: id, err: String(err) }));
  }
}
