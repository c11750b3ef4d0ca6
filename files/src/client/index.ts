/**
 * The files client SDK (`@muster/files/client`): framework-free, for
 * browsers and Node. Resumable uploads over tus (`Uploader`), signed links
 * for media elements (`SignedLinks`). It imports no server code.
 */
export { Upload, Uploader, fileIdOf, type StartOptions, type UploadAuth, type UploadEvents, type UploadInput, type UploaderEvents, type UploaderOptions, type UploadSnapshot, type UploadState } from './Uploader.ts';
export { SignedLinks, SignedLinkError, downloadUrl, type FileLink, type SignedLinksOptions } from './links.ts';
export { nextSpeed, secondsLeft, SPEED_TAU_MS, type SpeedSample } from './speed.ts';
export { AccountUrlStorage, MemoryStorage, type KeyValueStorage, type StoredUpload } from './urlStorage.ts';
