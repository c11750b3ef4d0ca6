import { currentUser } from '../account/session.ts';
import { contactsState } from '../contacts/state.ts';
import { MomentsPane } from './MomentsPane.tsx';
import { PostList } from './PostList.tsx';
import { feedFor, useFeed } from './state.ts';
import { profileTitle } from './viewModels.ts';

/** A person's posts the viewer may see (`/moments/u/<userId>`; mine: all of them). */
export function ProfilePage({ userId }: { userId: string }) {
  const feed = feedFor({ userId });
  const snap = useFeed(feed);
  const mine = currentUser.value?.id === userId;
  // Their name as I know them (a remark), else as their posts say, else none yet.
  const contact = contactsState.value.contacts.find((c) => c.userId === userId);
  const name = contact?.displayName ?? snap.items[0]?.author.nickname ?? null;
  return (
    <MomentsPane title={profileTitle(name, mine)} testId="moments-profile">
      <PostList feed={feed} empty={mine ? 'You have not posted yet.' : 'No posts you can see.'} />
    </MomentsPane>
  );
}
