import { openEach, type ContactRequestsTable, type ContactsTable, type Database } from '@muster/db';

export type RequestState = 'pending' | 'accepted' | 'declined';

export interface ContactRequest {
  id: string;
  fromId: string;
  toId: string;
  state: RequestState;
  greeting: string | null;
  createdAt: number;
  updatedAt: number;
  expiresAt: number;
}

/** What only the owner of a contact sees of it. */
export interface ContactDetails {
  remark: string | null;
  tags: string[];
}

export interface Contact extends ContactDetails {
  ownerId: string;
  contactId: string;
  createdAt: number;
}

const requestAad = (id: string) => ({ table: 'contact_requests', column: 'greeting', rowId: id });
const contactAad = (ownerId: string, contactId: string) => ({ table: 'contacts', column: 'details', rowId: `${ownerId}/${contactId}` });

/**
 * Friend requests, friendships and blocks, either engine. A friendship is two
 * rows, one per side, so each side's remark and tags are theirs alone and a
 * contact list is one indexed range; both rows are written in one write.
 * Greetings, remarks and tags are sealed.
 */
export class ContactRepository {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  // ------------------------------------------------------------ requests

  /**
   * A new pending request, replacing an earlier pending one between the same
   * two people (asking again refreshes it, never piles up).
   */
  async putRequest(request: ContactRequest): Promise<ContactRequest> {
    return this.#db.writer.write(async (trx) => {
      const earlier = await trx
        .selectFrom('contact_requests')
        .select('id')
        .where('from_id', '=', request.fromId)
        .where('to_id', '=', request.toId)
        .where('state', '=', 'pending')
        .execute();
      if (earlier.length > 0) await trx.deleteFrom('contact_requests').where('id', 'in', earlier.map((r) => r.id)).execute();
      await trx.insertInto('contact_requests').values(this.#requestRow(request)).execute();
      return request;
    });
  }

  async getRequest(id: string): Promise<ContactRequest | null> {
    const row = await this.#db.kysely.selectFrom('contact_requests').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? this.#toRequest(row) : null;
  }

  /** Requests to or from a person, newest first. */
  async listRequests(userId: string, limit: number): Promise<ContactRequest[]> {
    const rows = await this.#db.kysely
      .selectFrom('contact_requests')
      .selectAll()
      .where((eb) => eb.or([eb('to_id', '=', userId), eb('from_id', '=', userId)]))
      .orderBy('created_at', 'desc')
      .orderBy('id')
      .limit(limit)
      .execute();
    return openEach(this.#db, 'contact_requests', rows, (row) => this.#toRequest(row));
  }

  /**
   * Settles a pending request; accepting makes both contact rows in the same
   * write. False if it was not pending any more (settled by another device).
   */
  async settle(id: string, state: 'accepted' | 'declined', at: number): Promise<boolean> {
    return this.#db.writer.write(async (trx) => {
      const row = await trx.selectFrom('contact_requests').selectAll().where('id', '=', id).executeTakeFirst();
      if (!row || row.state !== 'pending') return false;
      await trx.updateTable('contact_requests').set({ state, updated_at: at }).where('id', '=', id).where('state', '=', 'pending').execute();
      if (state === 'accepted') {
        for (const [ownerId, contactId] of [
          [row.from_id, row.to_id],
          [row.to_id, row.from_id],
        ] as const) {
          await trx
            .insertInto('contacts')
            .values({ owner_id: ownerId, contact_id: contactId, details: null, created_at: at, updated_at: at })
            .onConflict((oc) => oc.columns(['owner_id', 'contact_id']).doNothing())
            .execute();
        }
      }
      return true;
    });
  }

  /** Drops requests that expired unanswered, and settled ones older than `before`. */
  async purgeRequests(now: number, before: number): Promise<number> {
    return this.#db.writer.write(async (trx) => {
      const result = await trx
        .deleteFrom('contact_requests')
        .where((eb) => eb.or([eb.and([eb('state', '=', 'pending'), eb('expires_at', '<=', now)]), eb.and([eb('state', '!=', 'pending'), eb('updated_at', '<', before)])]))
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    });
  }

  // ------------------------------------------------------------ contacts

  async isContact(ownerId: string, contactId: string): Promise<boolean> {
    return (await this.#db.kysely.selectFrom('contacts').select('contact_id').where('owner_id', '=', ownerId).where('contact_id', '=', contactId).executeTakeFirst()) !== undefined;
  }

  async get(ownerId: string, contactId: string): Promise<Contact | null> {
    const row = await this.#db.kysely.selectFrom('contacts').selectAll().where('owner_id', '=', ownerId).where('contact_id', '=', contactId).executeTakeFirst();
    return row ? this.#toContact(row) : null;
  }

  /** The ids in a person's contact list (no details opened). */
  async contactIds(ownerId: string): Promise<Set<string>> {
    const rows = await this.#db.kysely.selectFrom('contacts').select('contact_id').where('owner_id', '=', ownerId).execute();
    return new Set(rows.map((r) => r.contact_id));
  }

  /** Everyone in a person's contact list. */
  async list(ownerId: string): Promise<Contact[]> {
    const rows = await this.#db.kysely.selectFrom('contacts').selectAll().where('owner_id', '=', ownerId).orderBy('contact_id').execute();
    return openEach(this.#db, 'contacts', rows.map((row) => ({ ...row, id: `${row.owner_id}/${row.contact_id}` })), (row) => this.#toContact(row));
  }

  /** Sets the owner's remark and tags; false if they are not contacts. */
  async setDetails(ownerId: string, contactId: string, details: ContactDetails, at: number): Promise<boolean> {
    return this.#db.writer.write(async (trx) => {
      const sealed = this.#db.sealer.sealJson(details, contactAad(ownerId, contactId));
      const result = await trx.updateTable('contacts').set({ details: sealed, updated_at: at }).where('owner_id', '=', ownerId).where('contact_id', '=', contactId).executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    });
  }

  /** Ends a friendship on both sides; false if there was none. */
  async remove(ownerId: string, contactId: string): Promise<boolean> {
    return this.#db.writer.write(async (trx) => {
      const result = await trx
        .deleteFrom('contacts')
        .where((eb) => eb.or([eb.and([eb('owner_id', '=', ownerId), eb('contact_id', '=', contactId)]), eb.and([eb('owner_id', '=', contactId), eb('contact_id', '=', ownerId)])]))
        .executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    });
  }

  // ------------------------------------------------------------ blocks

  async block(ownerId: string, blockedId: string, at: number): Promise<void> {
    await this.#db.writer.write(async (trx) => {
      await trx.insertInto('blocks').values({ owner_id: ownerId, blocked_id: blockedId, created_at: at }).onConflict((oc) => oc.columns(['owner_id', 'blocked_id']).doNothing()).execute();
    });
  }

  async unblock(ownerId: string, blockedId: string): Promise<boolean> {
    return this.#db.writer.write(async (trx) => Number((await trx.deleteFrom('blocks').where('owner_id', '=', ownerId).where('blocked_id', '=', blockedId).executeTakeFirst()).numDeletedRows) > 0);
  }

  /** Whether `ownerId` blocked `otherId`. */
  async blocked(ownerId: string, otherId: string): Promise<boolean> {
    return (await this.#db.kysely.selectFrom('blocks').select('blocked_id').where('owner_id', '=', ownerId).where('blocked_id', '=', otherId).executeTakeFirst()) !== undefined;
  }

  async listBlocked(ownerId: string): Promise<{ userId: string; at: number }[]> {
    const rows = await this.#db.kysely.selectFrom('blocks').selectAll().where('owner_id', '=', ownerId).orderBy('created_at', 'desc').execute();
    return rows.map((r) => ({ userId: r.blocked_id, at: Number(r.created_at) }));
  }

  #requestRow(r: ContactRequest): ContactRequestsTable {
    return {
      id: r.id,
      from_id: r.fromId,
      to_id: r.toId,
      state: r.state,
      greeting: r.greeting === null ? null : this.#db.sealer.seal(r.greeting, requestAad(r.id)),
      created_at: r.createdAt,
      updated_at: r.updatedAt,
      expires_at: r.expiresAt,
    };
  }

  #toRequest(row: ContactRequestsTable): ContactRequest {
    return {
      id: row.id,
      fromId: row.from_id,
      toId: row.to_id,
      state: row.state,
      greeting: row.greeting === null ? null : this.#db.sealer.openText(row.greeting, requestAad(row.id)),
      createdAt: Number(row.created_at),
      updatedAt: Number(row.updated_at),
      expiresAt: Number(row.expires_at),
    };
  }

  #toContact(row: ContactsTable): Contact {
    const details = row.details === null ? { remark: null, tags: [] } : this.#db.sealer.openJson<ContactDetails>(row.details, contactAad(row.owner_id, row.contact_id));
    return { ownerId: row.owner_id, contactId: row.contact_id, createdAt: Number(row.created_at), remark: details.remark, tags: details.tags };
  }
}
