export { Files, viewOf, maxUploadBytesFromEnv, FILES_RATES, type FilesOptions, type FilesRates, type FileReader, type UploadCheck } from './Files.ts';
export { FileRetention, STALE_UPLOAD_MS, DAY_MS, type SweepReport } from './domain/FileRetention.ts';
export { s3OptionsFromEnv, type S3Options } from '@muster/kit/s3-options';
export type { BlobStorage } from './domain/BlobStorage.ts';
export type { Analyze } from './domain/FileProcessor.ts';
export type { Analysis, AnalyzeOptions, ByteSource } from './processing/analyze.ts';
export { FilesError, isFilesError, FILES_STATUS } from './errors.ts';
export * from './protocol.ts';
