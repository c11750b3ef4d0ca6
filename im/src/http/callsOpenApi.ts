/** The calls routes in the OpenAPI document (imOpenApi registers them with the rest of IM). */
import type { OpenAPIRegistry, RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { CallSchema, InviteToMeetingSchema, StartCallSchema } from '../callProtocol.ts';
import { ImErrorSchema } from '../protocol.ts';

const json = (schema: z.ZodType) => ({ 'application/json': { schema } });
const ok = (description: string, schema: z.ZodType) => ({ description, content: json(schema) });
const err = (description: string) => ({ description, content: json(ImErrorSchema) });
const E = {
  400: err('BAD_REQUEST: the body does not match the schema (or invitees for a one-to-one call, a group call without them)'),
  401: err('UNAUTHORIZED: no valid access token'),
  403: err('REFUSED_BY_RECIPIENT: the person called blocked you; nothing was stored, nobody rang'),
  404: err('NOT_FOUND: no such call, conversation or meeting of yours'),
  409: err('CALL_STATE: the call is past what was asked (accepting a cancelled call, hanging up one that still rings); IN_CALL: you are in another call'),
  413: err('PAYLOAD_TOO_LARGE'),
  415: err('UNSUPPORTED_MEDIA_TYPE'),
  503: err('UNAVAILABLE: several server hosts, and the one holding the call did not answer in time, or Redis is away; retry after Retry-After'),
} as const;
const errors = (...codes: (keyof typeof E)[]) => Object.fromEntries(codes.map((c) => [c, E[c]]));
const CallParams = z.object({ id: z.string().meta({ description: 'Call id' }) });

export function registerCallsOpenApi(registry: OpenAPIRegistry): void {
  const route = (config: RouteConfig) => registry.registerPath({ tags: ['calls'], security: [{ userToken: [] }], ...config });
  route({
    method: 'post', path: '/calls', operationId: 'startCall',
    summary:
      'Call from a chat. One-to-one: every device of the other person rings (`im.call.ring`) for 45 s; the call runs in a private two-person meeting room (`roomId`, joined signed in). ' +
      'State `busy` (201) when they are already in a call. A group conversation: `invitees` are rung with the link of a new meeting you own.',
    request: { body: { required: true, content: json(StartCallSchema) } },
    responses: { 201: ok('The call (ringing, or busy)', CallSchema), ...errors(400, 401, 403, 404, 409, 413, 415, 503) },
  });
  route({ method: 'get', path: '/calls', operationId: 'listActiveCalls', summary: 'The calls you are in now (ringing or connected): what a device that just opened shows', responses: { 200: ok('Calls', z.array(CallSchema)), ...errors(401) } });
  route({ method: 'get', path: '/calls/{id}', operationId: 'getCall', summary: 'A call of yours and its state (ended calls are kept ten minutes; the chat keeps their record)', request: { params: CallParams }, responses: { 200: ok('The call', CallSchema), ...errors(401, 404, 503) } });
  const actions = {
    accept: 'The person called answers (on one device: their others stop ringing, `im.call.stop` answered-elsewhere; the caller gets `im.call.accepted`). A group invitation: stops ringing on your other devices',
    decline: 'The person called declines: the caller gets `im.call.ended` (declined), a record is left in the chat',
    cancel: 'The caller gives up before an answer (cancelled, recorded)',
    hangup: 'Either person ends an answered call: ended, with its duration in the record',
  } as const;
  for (const [action, summary] of Object.entries(actions)) {
    route({
      method: 'post', path: `/calls/{id}/${action}`, operationId: `${action}Call`, summary,
      request: { params: CallParams },
      responses: { 200: ok('The call', CallSchema), ...errors(401, 404, 409, 503) },
    });
  }
  route({
    method: 'post', path: '/me/meetings/{id}/invite', operationId: 'inviteToMeeting', tags: ['calls', 'meetings'],
    summary: 'Ring contacts, and the members of your groups, into a meeting you own: each gets a ringing invitation (`im.call.ring` with the meeting’s link)',
    request: { params: z.object({ id: z.string() }), body: { required: true, content: json(InviteToMeetingSchema) } },
    responses: { 201: ok('The invitation (a group call)', CallSchema), ...errors(400, 401, 404, 413, 415, 503) },
  });
}
