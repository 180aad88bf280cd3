import { ArgumentMetadata, ValidationPipe } from '@nestjs/common';
import { describeValidationErrors } from '@gantry/contracts';
import { ApiError, ApiErrorCode } from '../errors/api-error';

/** class-validator on request bodies; unknown fields are dropped, every problem is listed. */
class BodyValidationPipe extends ValidationPipe {
  override transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' && (typeof value !== 'object' || value === null || Array.isArray(value))) {
      throw new ApiError(ApiErrorCode.InvalidRequest, 'Request body must be a JSON object');
    }
    return super.transform(value, metadata);
  }
}

export function bodyValidationPipe(): ValidationPipe {
  return new BodyValidationPipe({
    stopAtFirstError: true,
    transform: true,
    whitelist: true,
    forbidUnknownValues: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new ApiError(ApiErrorCode.InvalidRequest, 'Request body is invalid', describeValidationErrors(errors)),
  });
}
