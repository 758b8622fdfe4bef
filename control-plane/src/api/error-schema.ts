import { errorCodeList, errorCodes } from '../error-codes.js';

/** The status or statuses a code is answered with, as the document shows them. */
function statuses(code: (typeof errorCodeList)[number]): string {
  const spec: { status: number; alsoStatus?: number } = errorCodes[code];
  return spec.alsoStatus ? `${spec.status}, ${spec.alsoStatus}` : String(spec.status);
}

/** A Markdown table of every code: status, code, meaning. */
export function errorCodeTable(): string {
  const rows = errorCodeList.map((c) => `| ${statuses(c)} | \`${c}\` | ${errorCodes[c].description} |`);
  return ['| Status | Code | Meaning |', '| --- | --- | --- |', ...rows].join('\n');
}

/**
 * The `ErrorResponse` component of the OpenAPI document: the body of every error answer, its `code`
 * an enum of every registry code (described by the table) so clients can switch on it.
 */
export function errorResponseSchema(): Record<string, unknown> {
  const detail = {
    type: 'object',
    required: ['path', 'message'],
    properties: {
      path: { type: 'string', description: 'The field at fault, dotted (`a.interfaceId`), or `(root)`.' },
      message: { type: 'string', description: 'The problem, in English.' },
      code: {
        type: 'string',
        enum: errorCodeList,
        description: 'A code for this one problem, when it has its own.',
      },
      params: {
        type: 'object',
        additionalProperties: { type: ['string', 'number'] },
        description:
          'Values a client may put into its own translated text (e.g. `field`, `limit`, `permission`).',
      },
    },
  };
  return {
    type: 'object',
    required: ['error'],
    description:
      'The body of every error answer. `code` is stable and machine-readable (clients translate it); ' +
      '`message` is English for people and may change.\n\n' +
      errorCodeTable(),
    properties: {
      error: {
        type: 'object',
        required: ['code', 'message'],
        additionalProperties: false,
        properties: {
          code: { type: 'string', enum: errorCodeList, description: 'The error code; see the table above.' },
          message: { type: 'string', description: 'What went wrong, in English.' },
          requestId: { type: 'string', description: 'The server’s id of the request, as in its log.' },
          details: { type: 'array', items: detail, maxItems: 20 },
        },
      },
    },
  };
}

/** The `x-error-codes` extension of the document: every code with its status and meaning. */
export function errorCodesExtension(): Record<
  string,
  { status: number; alsoStatus?: number; description: string }
> {
  return Object.fromEntries(errorCodeList.map((c) => [c, { ...errorCodes[c] }]));
}
