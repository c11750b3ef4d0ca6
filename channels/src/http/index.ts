export { channelsApi, type ChannelsApiOptions } from './channelsApi.ts';
export { registerChannelsOpenApi } from './channelsOpenApi.ts';
