export { Im, type ImOptions } from './Im.ts';
export { ImHub, type ImEventMap, type ImEventName, type ImDelivery } from './domain/ImHub.ts';
export { Contacts, REQUEST_TTL_MS, REQUESTS_PER_HOUR, type ContactsOptions } from './domain/Contacts.ts';
export { nameIndex, matchesName, compareNames, groupByLetter, type NameIndex } from './domain/pinyinNames.ts';
export { Conversations, type ConversationsOptions, type SendAttempt, type SendCheck, type ViewDecorator } from './domain/Conversations.ts';
export { ConversationRepository, directKey, type Conversation, type Membership, type StoredMessage, type MessageBody } from './store/ConversationRepository.ts';
export { ContactRepository, type Contact, type ContactDetails, type ContactRequest, type RequestState } from './store/ContactRepository.ts';
export { ImError, isImError, IM_STATUS } from './errors.ts';
export * from './protocol.ts';
