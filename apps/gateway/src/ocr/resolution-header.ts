import { OCR_RESOLUTIONS, type OcrResolution } from '@gantry/contracts';
import { ApiError, ApiErrorCode } from '../errors/api-error';

/** `X-Resolution` (`tiny|small|base|large|gundam`, any case); undefined when absent (the pool default applies). */
export function parseResolution(raw: string | string[] | undefined): OcrResolution | undefined {
  if (raw === undefined || raw === '') return undefined;
  const value = typeof raw === 'string' ? raw.trim().toLowerCase() : '';
  if (!(OCR_RESOLUTIONS as readonly string[]).includes(value)) {
    throw new ApiError(ApiErrorCode.InvalidResolution, `X-Resolution must be one of ${OCR_RESOLUTIONS.join(', ')}`);
  }
  return value as OcrResolution;
}
