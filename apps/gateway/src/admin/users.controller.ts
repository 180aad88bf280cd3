import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { AdminOnly } from '../auth/auth.decorators';
import { CreateUserDto } from '../auth/dto/create-user.dto';
import { UsersService, type UserView } from '../auth/users.service';

/** User accounts (admin only): client users log in for their client, admins for everything. */
@Controller('admin/users')
@AdminOnly()
export class AdminUsersController {
  constructor(private readonly users: UsersService) {}

  @Post()
  @HttpCode(201)
  create(@Body() body: CreateUserDto): Promise<UserView> {
    return this.users.create(body);
  }

  @Get()
  async list(): Promise<{ data: UserView[] }> {
    return { data: await this.users.list() };
  }

  /** Disables the account and ends its sessions at once. */
  @Delete(':id')
  disable(@Param('id') id: string): Promise<UserView> {
    return this.users.disable(id);
  }
}
