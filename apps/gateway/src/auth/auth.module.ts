import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { GatewayEnv } from '@gantry/config';
import { IdentityDbModule, JobsRepository } from '@gantry/db';
import type { KafkaInspector } from '@gantry/kafka';
import type { Redis } from 'ioredis';
import { AdminApiKeysController } from '../admin/api-keys.controller';
import { AdminUsersController } from '../admin/users.controller';
import { ADMISSION_INSPECTOR, PoolBacklogService } from '../admission/pool-backlog.service';
import { RateLimitsService } from '../admission/rate-limits.service';
import { SubmitAdmissionService } from '../admission/submit-admission.service';
import { ApiKeysService } from './api-keys.service';
import { AuthAttemptsGuard } from './auth-attempts.guard';
import { AuthController } from './auth.controller';
import { AuthGuard } from './auth.guard';
import { AUTH_REDIS } from './auth.tokens';
import { FirstAdminService } from './first-admin.service';
import { LoginService } from './login.service';
import { PasswordHasher } from './password-hasher.service';
import { SessionRevocations } from './session-revocations.service';
import { SessionsService } from './sessions.service';
import { TokenService } from './token.service';
import { UsersService } from './users.service';

/**
 * Identity, tenancy and quotas (issue 6): the global AuthGuard, login/refresh, API keys and users
 * (admin), and the admission checks every submit goes through. Needs `DbModule.forRoot` beside it.
 */
@Module({})
export class AuthModule {
  static forRoot(env: GatewayEnv, deps: { redis: Redis; inspector: KafkaInspector }): DynamicModule {
    return {
      module: AuthModule,
      imports: [IdentityDbModule],
      controllers: [AuthController, AdminApiKeysController, AdminUsersController],
      providers: [
        { provide: GatewayEnv, useValue: env },
        { provide: AUTH_REDIS, useValue: deps.redis },
        { provide: ADMISSION_INSPECTOR, useValue: deps.inspector },
        { provide: APP_GUARD, useClass: AuthGuard },
        // The rate limiter's Postgres fallback counts jobs; the repository is stateless.
        JobsRepository,
        PasswordHasher,
        TokenService,
        SessionRevocations,
        SessionsService,
        LoginService,
        ApiKeysService,
        UsersService,
        FirstAdminService,
        RateLimitsService,
        PoolBacklogService,
        SubmitAdmissionService,
        AuthAttemptsGuard,
      ],
      exports: [SubmitAdmissionService, FirstAdminService],
    };
  }
}
