import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiKeysService, type ApiKeyView } from '../auth/api-keys.service';
import { AdminOnly } from '../auth/auth.decorators';
import { parseClientIdHeader } from '../auth/client-scope';
import { CreateApiKeyDto } from '../auth/dto/create-api-key.dto';
import { CurrentPrincipal, type Principal } from '../auth/principal';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** API keys for services (admin only). The secret is in the create answer and nowhere else. */
@Controller('admin/api-keys')
@AdminOnly()
export class AdminApiKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  @Post()
  @HttpCode(201)
  create(@Body() body: CreateApiKeyDto, @CurrentPrincipal() admin: Principal): Promise<ApiKeyView & { key: string }> {
    return this.keys.create(body, admin.kind === 'user' && UUID.test(admin.id) ? admin.id : null);
  }

  /** Every key (revoked ones too, for audit), optionally of one client: `?client_id=`. */
  @Get()
  async list(@Query('client_id') clientId?: string): Promise<{ data: ApiKeyView[] }> {
    return { data: await this.keys.list(parseClientIdHeader(clientId)) };
  }

  /** Revokes at once: the next request with the key is a 401. */
  @Delete(':id')
  revoke(@Param('id') id: string): Promise<ApiKeyView> {
    return this.keys.revoke(id);
  }
}
