import { Controller, Get, Param } from '@nestjs/common';
import { BACKEND_MODEL, POOLS, poolOfModel } from '@gantry/contracts';
import { CurrentPrincipal, type Principal } from '../auth/principal';
import { ApiError, ApiErrorCode } from '../errors/api-error';

interface ModelObject {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
}

// vLLM answers `created` with its start time; Gantry does the same with the gateway's.
const STARTED = Math.floor(Date.now() / 1000);

/**
 * `GET /v1/models` and `GET /v1/models/{id}` in OpenAI's shapes, so SDK calls such as
 * `client.models.list()` work. A caller sees the models its credential may use.
 */
@Controller('v1/models')
export class ModelsController {
  @Get()
  list(@CurrentPrincipal() principal: Principal): { object: 'list'; data: ModelObject[] } {
    return { object: 'list', data: servedModels(principal).map(modelObject) };
  }

  @Get(':id')
  get(@CurrentPrincipal() principal: Principal, @Param('id') id: string): ModelObject {
    return this.find(principal, id);
  }

  // Model ids such as `deepseek-ai/DeepSeek-OCR` hold a slash, which the SDK does not encode.
  @Get(':org/:name')
  getNamespaced(@CurrentPrincipal() principal: Principal, @Param('org') org: string, @Param('name') name: string): ModelObject {
    return this.find(principal, `${org}/${name}`);
  }

  private find(principal: Principal, id: string): ModelObject {
    const pool = poolOfModel(id);
    const model = pool ? BACKEND_MODEL[pool] : undefined;
    // A model the credential may not use is as unknown to it as one Gantry does not serve.
    if (!model || !servedModels(principal).includes(model)) throw new ApiError(ApiErrorCode.ModelNotFound, `Model ${id} not available`);
    return modelObject(model);
  }
}

function servedModels(principal: Principal): string[] {
  const allowed = principal.limits.allowedModels;
  return POOLS.map((p) => BACKEND_MODEL[p]).filter((m) => !allowed || allowed.includes(m));
}

function modelObject(id: string): ModelObject {
  return { id, object: 'model', created: STARTED, owned_by: 'gantry' };
}
