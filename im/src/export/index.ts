/** Chat export as minutes: the domain, its ports and its protocol (the route is mounted by imApi, see exportApi.ts). */
export { ChatExport, MAX_THUMBNAILS, safeName, type ChatExportOptions, type ExportedDocument, type ExportFiles, type ExportInput, type ExportSend, type ExportThumbnails } from './ChatExport.ts';
export * from './exportProtocol.ts';
export { locateCjkFont, parseFontSetting, KNOWN_CJK_FONTS, type CjkFont } from './fonts.ts';
