export { repositoryContract, type RepositoryHarness } from './contract.ts';
export { TEST_POSTGRES_URL, postgresReachable, postgresTestsEnabled, createTestSchema, withSearchPath, adminQuery, pgDumpSchema, type TestSchema } from './postgres.ts';
export { TEST_KEYS, TEST_KDF_COST, tempDir, testLocation, testSealer, rawQuery, withSqliteFile, type TestLocation } from './databases.ts';
export { LEGACY_MEETINGS_SCHEMA, LEGACY_BOARDS_SCHEMA } from './legacy.ts';
export { useTestDatabase, testEngines, type TestDatabase } from './fixture.ts';
export { silentLogger, recordingLogger, type RecordingLogger, type LogLine } from './logging.ts';
export { bytesAtRest, foundAtRest } from './atRest.ts';
