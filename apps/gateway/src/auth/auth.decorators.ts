import { SetMetadata } from '@nestjs/common';

export const PUBLIC_ROUTE = 'gantry:public';
export const ADMIN_ROUTE = 'gantry:admin';

/** The route needs no credential (health, login). Everything else does. */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);

/** The route needs the admin role (every `/admin/*` path needs it anyway). */
export const AdminOnly = () => SetMetadata(ADMIN_ROUTE, true);
