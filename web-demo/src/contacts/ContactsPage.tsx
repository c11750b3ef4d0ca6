import { GroupInfo } from '../groups/GroupInfo.tsx';
import { GroupList } from '../groups/GroupList.tsx';
import { NewGroup } from '../groups/NewGroup.tsx';
import { AddFriend } from './AddFriend.tsx';
import { BlockedList } from './BlockedList.tsx';
import { ContactDetail } from './ContactDetail.tsx';
import { ContactList } from './ContactList.tsx';
import { NewFriends } from './NewFriends.tsx';
import { imClient } from '../account/im.ts';
import type { ContactsRoute } from './paths.ts';
import { contactsState } from './state.ts';
import './contacts.css';

/**
 * The Contacts tab: the list beside the page it opened on a desktop (as
 * WeChat's desktop app), one screen at a time on a phone (the list, or the
 * page with a back arrow). account/im.ts holds the SDK; contacts/state.ts
 * follows it.
 */
export function ContactsPage({ route }: { route: ContactsRoute }) {
  contactsState.value;
  // The SDK comes up with the sign-in; a frame without it draws nothing rather than fail.
  if (!imClient.value) return <div class="contacts-layout" data-testid="contacts-page" />;
  const selected = route.name === 'contact' ? route.userId : route.name === 'group' ? route.groupId : route.name;
  return (
    <div class={`contacts-layout${route.name === 'contacts' ? ' at-list' : ' at-page'}`} data-testid="contacts-page">
      <div class="contacts-list-pane">
        <ContactList selected={selected} />
      </div>
      <div class="contacts-page-pane">{page(route)}</div>
    </div>
  );
}

function page(route: ContactsRoute) {
  switch (route.name) {
    case 'newFriends':
      return <NewFriends />;
    case 'addFriend':
      return <AddFriend />;
    case 'contact':
      return <ContactDetail key={route.userId} userId={route.userId} />;
    case 'groupList':
      return <GroupList />;
    case 'blockedList':
      return <BlockedList />;
    case 'newGroup':
      return <NewGroup />;
    case 'group':
      return <GroupInfo key={route.groupId} groupId={route.groupId} />;
    default:
      return <p class="contacts-placeholder">Pick a contact, or open New friends to add one.</p>;
  }
}
