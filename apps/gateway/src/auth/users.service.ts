import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { UsersRepository, type UserRecord } from '@gantry/db';
import { ApiError, ApiErrorCode } from '../errors/api-error';
import type { CreateUserDto } from './dto/create-user.dto';
import { PasswordHasher } from './password-hasher.service';
import { SessionsService } from './sessions.service';

export interface UserView {
  id: string;
  username: string;
  role: UserRecord['role'];
  client_id: string | null;
  created_at: string;
  disabled_at: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function toUserView(u: UserRecord): UserView {
  return { id: u.id, username: u.username, role: u.role, client_id: u.client_id, created_at: u.created_at.toISOString(), disabled_at: u.disabled_at?.toISOString() ?? null };
}

/** Admin management of user accounts. */
@Injectable()
export class UsersService {
  private readonly log = new Logger(UsersService.name);

  constructor(
    private readonly users: UsersRepository,
    private readonly hasher: PasswordHasher,
    private readonly sessions: SessionsService,
  ) {}

  async create(dto: CreateUserDto): Promise<UserView> {
    const user = await this.users.create({
      id: randomUUID(),
      username: dto.username,
      passwordHash: await this.hasher.hash(dto.password),
      role: dto.role,
      clientId: dto.role === 'client' ? dto.client_id! : (dto.client_id ?? null),
    });
    if (!user) throw new ApiError(ApiErrorCode.UserExists, `User ${dto.username} already exists`);
    this.log.log({ msg: 'user created', user_id: user.id, role: user.role, client_id: user.client_id });
    return toUserView(user);
  }

  async list(): Promise<UserView[]> {
    return (await this.users.list()).map(toUserView);
  }

  /** Disables the account and ends its sessions (refresh tokens and live access tokens). */
  async disable(id: string): Promise<UserView> {
    if (!UUID.test(id)) throw new ApiError(ApiErrorCode.InvalidRequest, 'User id must be a UUID');
    const user = await this.users.disable(id.toLowerCase());
    if (!user) throw new ApiError(ApiErrorCode.UserNotFound, `User ${id} not found`);
    await this.sessions.endAllOf(user.id);
    this.log.log({ msg: 'user disabled', user_id: user.id });
    return toUserView(user);
  }
}
