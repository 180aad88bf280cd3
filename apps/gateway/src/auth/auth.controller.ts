import { Body, Controller, Header, HttpCode, Post, UseGuards } from '@nestjs/common';
import { AuthAttemptsGuard } from './auth-attempts.guard';
import { Public } from './auth.decorators';
import { LoginDto, RefreshDto } from './dto/login.dto';
import { LoginService } from './login.service';
import { SessionsService, type TokenPair } from './sessions.service';

/**
 * Login (reference 002: form `POST /auth/token`; reference 000: JSON `POST /api/auth/login`),
 * refresh with rotation, and logout. Both body types are accepted on every route here.
 */
@Controller()
@Public()
@UseGuards(AuthAttemptsGuard)
export class AuthController {
  constructor(
    private readonly login: LoginService,
    private readonly sessions: SessionsService,
  ) {}

  @Post('auth/token')
  @HttpCode(200)
  @Header('cache-control', 'no-store')
  token(@Body() body: LoginDto): Promise<TokenPair> {
    return this.login.login(body.username, body.password);
  }

  @Post('api/auth/login')
  @HttpCode(200)
  @Header('cache-control', 'no-store')
  jsonLogin(@Body() body: LoginDto): Promise<TokenPair> {
    return this.login.login(body.username, body.password);
  }

  /** A new token pair; the presented refresh token stops working (reuse revokes the session). */
  @Post('auth/refresh')
  @HttpCode(200)
  @Header('cache-control', 'no-store')
  refresh(@Body() body: RefreshDto): Promise<TokenPair> {
    return this.sessions.rotate(body.refresh_token);
  }

  /** Ends the session of the refresh token: it and the session's access tokens stop working. */
  @Post('auth/logout')
  @HttpCode(204)
  logout(@Body() body: RefreshDto): Promise<void> {
    return this.sessions.end(body.refresh_token);
  }
}
