/**
 * The IM REST protocol (contacts so far; conversations and messages next):
 * request bodies, replies and error codes as zod. The routes parse with
 * these and the OpenAPI document is generated from them.
 */
import { z } from 'zod';
import { AvatarSchema } from '@muster/accounts/protocol';

export const IM_ERROR_CODES = [
  'BAD_REQUEST',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'NOT_FOUND',
  'ALREADY_CONTACTS',
  'REQUEST_EXPIRED',
  'REFUSED_BY_RECIPIENT',
  'RATE_LIMITED',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'INTERNAL',
] as const;
export type ImErrorCode = (typeof IM_ERROR_CODES)[number];
export const ImErrorSchema = z
  .object({ error: z.object({ code: z.enum(IM_ERROR_CODES), message: z.string() }) })
  .meta({ id: 'ImError', description: 'A coded error; another person’s object is NOT_FOUND' });

export const UserIdSchema = z.string().regex(/^[A-Za-z0-9_-]{6,64}$/, 'not a user id');
const Text = (max: number) => z.string().trim().max(max).refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'no control characters');

export const ContactRequestBodySchema = z
  .object({ to: UserIdSchema, greeting: Text(100).optional().meta({ description: 'A line the other person reads with the request' }) })
  .strict()
  .meta({ id: 'ContactRequestBody' });
export const ContactUpdateSchema = z
  .object({
    remark: Text(40).nullable().optional().meta({ description: 'Your name for them, seen only by you (null or empty: none)' }),
    tags: z.array(Text(20).pipe(z.string().min(1))).max(20).optional(),
  })
  .strict()
  .meta({ id: 'ContactUpdate' });
export const ContactQuerySchema = z.object({ q: z.string().max(60).optional() }).strict();

const Person = z.object({ id: z.string(), nickname: z.string(), avatar: AvatarSchema, musterId: z.string().nullable() });

export const ContactRequestSchema = z
  .object({
    id: z.string(),
    from: Person,
    to: Person,
    greeting: z.string().nullable(),
    state: z.enum(['pending', 'accepted', 'declined', 'expired']),
    createdAt: z.number().int(),
    expiresAt: z.number().int(),
  })
  .meta({ id: 'ContactRequest' });
export type ContactRequestView = z.infer<typeof ContactRequestSchema>;

export const ContactSchema = z
  .object({
    userId: z.string(),
    nickname: z.string(),
    remark: z.string().nullable(),
    displayName: z.string().meta({ description: 'The remark if set, else the nickname' }),
    avatar: AvatarSchema,
    musterId: z.string().nullable(),
    tags: z.array(z.string()),
    letter: z.string().meta({ description: 'The A–Z index letter of the display name (pinyin for Chinese), # for others' }),
    since: z.number().int(),
  })
  .meta({ id: 'Contact' });
export type ContactView = z.infer<typeof ContactSchema>;
