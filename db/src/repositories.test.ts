import { MemoryBoardLogRepository } from './repositories/MemoryBoardLogRepository.ts';
import { MemoryMeetingRepository } from './repositories/MemoryMeetingRepository.ts';
import { MemoryRecordingRepository } from './repositories/MemoryRecordingRepository.ts';
import { SqlBoardLogRepository } from './repositories/SqlBoardLogRepository.ts';
import { SqlMeetingRepository } from './repositories/SqlMeetingRepository.ts';
import { SqlRecordingRepository } from './repositories/SqlRecordingRepository.ts';
import { repositoryContract } from './testing/contract.ts';
import { testLocation } from './testing/databases.ts';
import { testEngines } from './testing/fixture.ts';

const engines = await testEngines('the PostgreSQL repository contract (db/src/repositories.test.ts)');

repositoryContract('memory', async () => ({
  meetings: new MemoryMeetingRepository(),
  boards: new MemoryBoardLogRepository(),
  recordings: new MemoryRecordingRepository(),
  close: async () => {},
}));

for (const engine of engines) {
  repositoryContract(engine, async () => {
    const location = await testLocation(engine);
    const db = await location.open();
    return {
      meetings: new SqlMeetingRepository(db),
      boards: new SqlBoardLogRepository(db),
      recordings: new SqlRecordingRepository(db),
      close: async () => {
        await db.close();
        await location.remove();
      },
    };
  });
}
