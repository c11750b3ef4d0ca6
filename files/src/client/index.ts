/**
 * The files client SDK (`@muster/files/client`): framework-free, for
 * browsers and Node. Resumable uploads over tus (`Uploader`), signed links
 * for media elements (`SignedLinks`). It imports no server code.
 */
export { Upload, Uploader, fileIdOf, type UnfinishedUpload, type StartOptions, type UploadAuth, type UploadEvents, type UploadInput, type UploaderEvents, type UploaderOptions, type UploadSnapshot, type UploadState } from './Uploader.ts';
export { SignedLinks, SignedLinkError, downloadUrl, type FileLink, type SignedLinksOptions } from './links.ts';
export { nextSpeed, secondsLeft, SPEED_TAU_MS, type SpeedSample } from './speed.ts';
export { AccountUrlStorage, MemoryStorage, type KeyValueStorage, type StoredUpload } from './urlStorage.ts';
export { FilesConsole, FilesConsoleError, addBlockedTypes, blockedTypeLabel, blockedTypeProblem, formatBytes, normaliseBlockedType, parseRetentionDays, parseSize, removeBlockedType, retentionWarning, settingsChange, settingsErrorText, settingsForm, sizeFields, BLOCKED_TYPE_EXAMPLES, DEFAULT_UPLOAD_CEILING_BYTES, MAX_BLOCKED_TYPES, MAX_RETENTION_DAYS, SIZE_UNITS, type FilesAdminSettings, type FilesAdminSettingsUpdate, type FilesConsoleOptions, type FilesSettingsForm, type SizeUnit } from './filesConsole.ts';
