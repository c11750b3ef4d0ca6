import { isSupportedCountry, parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import { AccountError } from '../errors.ts';

/**
 * Phone numbers are kept and compared in E.164 (+8613800138000): "138 0013
 * 8000" typed in China and "+86 138-0013-8000" are one account. The `max`
 * metadata checks the number is one that can exist (length and ranges per
 * region), so a typo is caught at sign-up, not when a code never arrives.
 */
export class PhoneNumbers {
  readonly defaultRegion: CountryCode;

  constructor(defaultRegion = 'CN') {
    const region = defaultRegion.toUpperCase();
    if (!isSupportedCountry(region)) {
      throw new Error(`DEFAULT_PHONE_REGION must be a two-letter region code such as CN, got "${defaultRegion}"`);
    }
    this.defaultRegion = region as CountryCode;
  }

  /** E.164, or PHONE_INVALID. */
  normalise(input: string): string {
    const parsed = parsePhoneNumberFromString(input.trim(), this.defaultRegion);
    if (!parsed || !parsed.isValid()) throw new AccountError('PHONE_INVALID', `"${input.trim().slice(0, 32)}" is not a valid phone number`);
    return parsed.number;
  }
}

/** The last four digits: what a log line or a notice may show of a number. */
export function lastFour(e164: string): string {
  return e164.slice(-4);
}
