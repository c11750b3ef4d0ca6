/**
 * The accounts REST protocol: every request body and reply as a zod schema,
 * and every error code. The routes (`http/`) parse with these, the OpenAPI
 * document is generated from them, and the web client's account SDK imports
 * them (types only, and zod: no server code).
 */
import { z } from 'zod';

export const ACCOUNTS_API_VERSION = 1;

/**
 * Every coded error of the accounts routes: `{ error: { code, message } }`.
 * Codes are stable: programs branch on them; messages are for people.
 */
export const ACCOUNT_ERROR_CODES = [
  'BAD_REQUEST',
  'UNAUTHORIZED',
  'INVALID_CREDENTIALS',
  'CODE_EXPIRED',
  'CODE_INVALID',
  'CODE_REQUIRED',
  'CODE_DELIVERY_FAILED',
  'RATE_LIMITED',
  'ACCOUNT_LOCKED',
  'ACCOUNT_DISABLED',
  'ACCOUNT_PENDING',
  'ACCOUNT_EXPIRED',
  'PHONE_TAKEN',
  'PHONE_INVALID',
  'PASSWORD_WEAK',
  'PASSWORD_REQUIRED',
  'MUSTER_ID_TAKEN',
  'MUSTER_ID_TOO_SOON',
  'LINK_INVALID',
  'SECOND_FACTOR_REQUIRED',
  'FORBIDDEN',
  'NOT_FOUND',
  'IMAGE_INVALID',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'INTERNAL',
] as const;
export type AccountErrorCode = (typeof ACCOUNT_ERROR_CODES)[number];

export const AccountErrorSchema = z
  .object({ error: z.object({ code: z.enum(ACCOUNT_ERROR_CODES), message: z.string() }) })
  .meta({ id: 'AccountError', description: 'A coded error. RATE_LIMITED and ACCOUNT_LOCKED come with a Retry-After header (seconds).' });

// ------------------------------------------------------------------ inputs

/** As typed: spaces, dashes and brackets allowed; normalised to E.164 with the server's DEFAULT_PHONE_REGION. */
export const PhoneInputSchema = z.string().trim().min(3).max(32).meta({ description: 'A phone number, in national or international (+…) form', example: '+86 138 0013 8000' });
export const PasswordInputSchema = z.string().min(1).max(256).meta({ description: 'At least 8 characters, not a common password' });
export const CodeInputSchema = z.string().regex(/^\d{6}$/, 'a code is 6 digits').meta({ description: 'The 6-digit one-time code', example: '123456' });
export const NicknameSchema = z
  .string()
  .trim()
  .min(1, 'a nickname is required')
  .max(40)
  .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'no control characters')
  .meta({ description: 'The name others see' });
export const CodePurposeSchema = z.enum(['signup', 'login', 'reset']);
export type CodePurpose = z.infer<typeof CodePurposeSchema>;

export const DeviceInputSchema = z
  .object({
    name: z.string().trim().min(1).max(60).meta({ description: 'e.g. "Chrome on Windows", "Zhang\'s phone"' }),
    platform: z.string().trim().min(1).max(30).meta({ description: 'e.g. web, android, ios, desktop' }),
  })
  .strict();

export const RequestCodeSchema = z.object({ phone: PhoneInputSchema, purpose: CodePurposeSchema }).strict().meta({ id: 'RequestCode' });
export const SignupSchema = z
  .object({ phone: PhoneInputSchema, password: PasswordInputSchema.optional(), code: CodeInputSchema.optional(), nickname: NicknameSchema, device: DeviceInputSchema.optional() })
  .strict()
  .meta({ id: 'Signup', description: 'A password, a code, or both, as the sign-up policy asks' });
export const LoginSchema = z
  .object({ phone: PhoneInputSchema, password: PasswordInputSchema.optional(), code: CodeInputSchema.optional(), device: DeviceInputSchema.optional() })
  .strict()
  .refine((b) => (b.password === undefined) !== (b.code === undefined), { message: 'give a password or a code, not both', path: ['password'] })
  .meta({ id: 'Login' });
export const RefreshSchema = z.object({ refreshToken: z.string().min(10).max(400) }).strict().meta({ id: 'Refresh' });
export const LogoutSchema = z.object({ refreshToken: z.string().min(10).max(400).optional() }).strict().meta({ id: 'Logout' });
export const ResetPasswordSchema = z.object({ phone: PhoneInputSchema, code: CodeInputSchema, password: PasswordInputSchema }).strict().meta({ id: 'ResetPassword' });
export const ChangePasswordSchema = z.object({ currentPassword: PasswordInputSchema.optional(), password: PasswordInputSchema }).strict().meta({ id: 'ChangePassword' });
export const GuestLoginSchema = z.object({ token: z.string().min(20).max(200), device: DeviceInputSchema.optional() }).strict().meta({ id: 'GuestLogin' });

export const GenderSchema = z.enum(['unspecified', 'female', 'male', 'other']);
/** 4–20 characters, a letter first, then letters, digits, _ or -; compared without case. */
export const MusterIdSchema = z
  .string()
  .trim()
  .regex(/^[A-Za-z][A-Za-z0-9_-]{3,19}$/, 'a Muster ID is 4–20 letters, digits, _ or -, starting with a letter')
  .meta({ description: 'The unique public handle; changeable once a year' });
export const ProfileUpdateSchema = z
  .object({
    nickname: NicknameSchema.optional(),
    musterId: MusterIdSchema.optional(),
    gender: GenderSchema.optional(),
    region: z.string().trim().max(60).optional(),
    signature: z.string().trim().max(120).optional(),
  })
  .strict()
  .meta({ id: 'ProfileUpdate' });
/** `GET /users/lookup`: exactly one of a phone number or a Muster ID, matched exactly. */
export const LookupQuerySchema = z
  .object({ phone: PhoneInputSchema.optional(), musterId: z.string().trim().min(1).max(20).optional() })
  .strict()
  .refine((q) => (q.phone === undefined) !== (q.musterId === undefined), { message: 'give phone or musterId', path: ['phone'] })
  .meta({ id: 'LookupQuery' });
export const IdParamSchema = z.string().regex(/^[A-Za-z0-9_-]{6,64}$/, 'not an id');

// ------------------------------------------------------------------ replies

const Int = z.number().int();

export const RoleSchema = z.enum(['user', 'admin', 'guest']);
export type AccountRole = z.infer<typeof RoleSchema>;
export const StatusSchema = z.enum(['active', 'pending', 'disabled']);
export type AccountStatus = z.infer<typeof StatusSchema>;

export const AvatarSchema = z
  .object({ small: z.string().meta({ description: '64 px WebP' }), large: z.string().meta({ description: '256 px WebP' }) })
  .nullable()
  .meta({ id: 'Avatar', description: 'Paths of the avatar images, or null' });
export type Avatar = z.infer<typeof AvatarSchema>;

export const PublicProfileSchema = z
  .object({ id: z.string(), nickname: z.string(), avatar: AvatarSchema, musterId: z.string().nullable() })
  .meta({ id: 'PublicProfile', description: 'What anyone signed in may see of a person' });
export type PublicProfile = z.infer<typeof PublicProfileSchema>;

export const UserSchema = PublicProfileSchema.extend({
  phone: z.string().nullable().meta({ description: 'E.164; null for guests' }),
  phoneVerified: z.boolean(),
  role: RoleSchema,
  status: StatusSchema,
  gender: GenderSchema,
  region: z.string(),
  signature: z.string(),
  createdAt: Int,
  expiresAt: Int.nullable().meta({ description: 'Guests: when the account stops signing in' }),
  musterIdChangeableAt: Int.nullable().meta({ description: 'When the Muster ID may be changed again (null: now)' }),
  hasPassword: z.boolean(),
}).meta({ id: 'User', description: 'The signed-in person, as they see themselves' });
export type User = z.infer<typeof UserSchema>;

export const SessionSchema = z
  .object({
    user: UserSchema,
    accessToken: z.string().meta({ description: 'JWT (EdDSA), 15 minutes: `Authorization: Bearer …`, or `auth.token` of a socket' }),
    refreshToken: z.string().meta({ description: 'Single use: each refresh returns a new one; using an old one again signs the device out' }),
    accessTokenExpiresAt: Int,
    deviceId: z.string(),
  })
  .meta({ id: 'Session' });
export type SessionReply = z.infer<typeof SessionSchema>;

export const DeviceSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    platform: z.string(),
    lastSeenAt: Int,
    createdAt: Int,
    location: z.string().meta({ description: 'The address it last signed in or refreshed from' }),
    current: z.boolean().meta({ description: 'The device asking' }),
  })
  .meta({ id: 'Device' });
export type Device = z.infer<typeof DeviceSchema>;

// ------------------------------------------------------------------ admin

export const SignupPolicySchema = z.enum(['code', 'password', 'approval']).meta({
  description: 'code: a one-time code is required; password: a password is enough (the number stays unverified); approval: an admin approves each account',
});
export type SignupPolicy = z.infer<typeof SignupPolicySchema>;
export const SignupPolicyReplySchema = z.object({ signupPolicy: SignupPolicySchema }).meta({ id: 'SignupPolicyReply' });
export const AccountSettingsSchema = z
  .object({
    signupPolicy: SignupPolicySchema,
    anonymousJoins: z.boolean().meta({ description: 'People without an account may join meetings by link' }),
    boardsSignedInOnly: z.boolean().meta({ description: 'Standalone boards only for signed-in people' }),
  })
  .meta({ id: 'AccountSettings' });
export type AccountSettings = z.infer<typeof AccountSettingsSchema>;
export const AccountSettingsUpdateSchema = AccountSettingsSchema.partial().strict().meta({ id: 'AccountSettingsUpdate' });

export const AdminElevateSchema = z
  .object({ totp: z.string().regex(/^\d{6}$/).optional(), consolePassword: PasswordInputSchema.optional() })
  .strict()
  .refine((b) => (b.totp === undefined) !== (b.consolePassword === undefined), { message: 'give a TOTP code or the console password', path: ['totp'] })
  .meta({ id: 'AdminElevate' });
export const AdminSetupSchema = z
  .object({ token: z.string().min(20).max(200), password: PasswordInputSchema, nickname: NicknameSchema.optional(), consolePassword: PasswordInputSchema.optional(), enableTotp: z.boolean().optional() })
  .strict()
  .meta({ id: 'AdminSetup' });
export const AdminUserSchema = UserSchema.extend({ lockedUntil: Int.nullable(), devices: Int }).meta({ id: 'AdminUser' });
export type AdminUser = z.infer<typeof AdminUserSchema>;
export const CreateGuestSchema = z
  .object({
    nickname: NicknameSchema.optional(),
    nicknames: z.array(NicknameSchema).min(1).max(500).optional(),
    csv: z.string().max(100_000).optional().meta({ description: 'One guest per line: the first column is the name' }),
    expiresAt: Int.positive().meta({ description: 'When the guests stop signing in (ms since epoch)' }),
  })
  .strict()
  .refine((b) => [b.nickname, b.nicknames, b.csv].filter((x) => x !== undefined).length === 1, { message: 'give nickname, nicknames or csv', path: ['nickname'] })
  .meta({ id: 'CreateGuests' });
export const CreatedGuestSchema = z.object({ user: UserSchema, link: z.string().meta({ description: 'The one-time log-in path, shown only here' }) }).meta({ id: 'CreatedGuest' });
export const SecurityEventSchema = z
  .object({ id: z.string(), at: Int, userId: z.string().nullable(), kind: z.string(), details: z.record(z.string(), z.unknown()) })
  .meta({ id: 'SecurityEvent' });
export const PendingCodeSchema = z
  .object({ phone: z.string(), purpose: CodePurposeSchema, code: z.string(), expiresAt: Int })
  .meta({ id: 'PendingCode', description: 'A code the log channel delivered (closed networks without SMS)' });
