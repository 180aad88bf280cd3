import { Controller, Delete, Get, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ClientScope, submitterClientId } from '../auth/client-scope';
import { CurrentPrincipal, type Principal } from '../auth/principal';
import { FilesService } from './files.service';
import { fileObject } from './openai-objects';

/** OpenAI's Files API (purpose `batch`). */
@Controller('v1/files')
export class FilesController {
  constructor(private readonly files: FilesService) {}

  @Post()
  @HttpCode(200)
  async upload(@CurrentPrincipal() principal: Principal, @Req() req: FastifyRequest) {
    return fileObject(await this.files.upload(req, submitterClientId(req.headers['x-client-id'], principal)));
  }

  @Get(':id')
  async get(@Param('id') id: string, @ClientScope() clientId: string | undefined) {
    return fileObject(await this.files.get(id, clientId));
  }

  @Get(':id/content')
  async content(@Param('id') id: string, @ClientScope() clientId: string | undefined, @Res() reply: FastifyReply) {
    const stream = await this.files.content(id, clientId);
    await reply.type('application/jsonl').send(stream);
  }

  @Delete(':id')
  delete(@Param('id') id: string, @ClientScope() clientId: string | undefined) {
    return this.files.delete(id, clientId);
  }
}
