import fs from 'node:fs';

/** The REST API's OpenAPI 3.1 description (`openapi.json` beside this file), served at `/api/v1/openapi.json`. */
export const openApiDocument: Record<string, unknown> = JSON.parse(fs.readFileSync(new URL('./openapi.json', import.meta.url), 'utf8'));
