import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv, type ErrorObject, type SchemaObject, type ValidateFunction } from 'ajv';
import ajvFormats from 'ajv-formats';

/**
 * GitHub's published OpenAPI description of api.github.com (npm `@octokit/openapi`) as a runtime
 * contract for the fake server in github-server.ts: every request it receives and every response it
 * sends is validated against the operation it implements, so the fake cannot drift from the real API.
 *
 * The bundled description (13 MB, `$ref`s kept) is read rather than the dereferenced one (73 MB): it
 * parses in a tenth of the time and memory, and keeps the component names (`issue`, `basic-error`)
 * that make a mismatch readable. It is read once per process, on first use; only the operations the
 * fake implements are kept, with the component schemas they reach, and validators are compiled on
 * first use of each.
 */

/** The operations the fake implements, as `METHOD /path/template` of the description. */
export const IMPLEMENTED_OPERATIONS = [
  'GET /repos/{owner}/{repo}/issues/{issue_number}',
  'PATCH /repos/{owner}/{repo}/issues/{issue_number}',
  'GET /repos/{owner}/{repo}/issues/{issue_number}/comments',
  'POST /repos/{owner}/{repo}/issues/{issue_number}/comments',
  'PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}',
  'GET /repos/{owner}/{repo}/issues/{issue_number}/labels',
  'POST /repos/{owner}/{repo}/issues/{issue_number}/labels',
  'DELETE /repos/{owner}/{repo}/issues/{issue_number}/labels/{name}',
  'GET /repos/{owner}/{repo}/labels',
  'POST /repos/{owner}/{repo}/labels',
  'GET /repos/{owner}/{repo}/labels/{name}',
] as const;

export type OperationKey = (typeof IMPLEMENTED_OPERATIONS)[number];

type Json = null | boolean | number | string | Json[] | JsonObject;
interface JsonObject {
  [key: string]: Json;
}

const SPEC_FILE = createRequire(import.meta.url).resolve('@octokit/openapi/generated/api.github.com.json');
/** The `$id` the kept component schemas are registered under; every schema `$ref` points into it. */
const COMPONENTS_ID = 'https://api.github.com/openapi/components.json';
const SCHEMA_REF = '#/components/schemas/';
/** What an error status the operation does not document is held to: GitHub's common error body. */
const GENERIC_ERROR = 'basic-error';

interface Parameter {
  readonly name: string;
  readonly in: 'path' | 'query';
  readonly required: boolean;
  readonly schema: JsonObject;
}

interface Operation {
  readonly key: OperationKey;
  readonly operationId: string;
  readonly method: string;
  readonly pattern: RegExp;
  readonly pathNames: readonly string[];
  readonly parameters: readonly Parameter[];
  readonly requestBody?: { readonly required: boolean; readonly schema: JsonObject };
  /** Status code → the JSON body schema (undefined where the response has no JSON body). */
  readonly responses: ReadonlyMap<number, JsonObject | undefined>;
}

export interface OperationMatch {
  readonly key: OperationKey;
  readonly operationId: string;
  readonly params: Readonly<Record<string, string>>;
}

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function object(value: Json | undefined, what: string): JsonObject {
  if (!isObject(value)) throw new Error(`OpenAPI description: ${what} is not an object`);
  return value;
}

/** The description's JSON Pointer `ref` (`#/components/...`), as an object. */
function pointer(spec: JsonObject, ref: string): JsonObject {
  let at: Json = spec;
  for (const raw of ref.replace(/^#\//, '').split('/')) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    at = object(at, ref)[part] ?? null;
  }
  return object(at, ref);
}

/** Follows a `$ref` (to a parameter, response or request body) until a concrete object. */
function deref(spec: JsonObject, value: Json | undefined, what: string): JsonObject {
  let o = object(value, what);
  for (let ref = o.$ref; typeof ref === 'string'; ref = o.$ref) o = pointer(spec, ref);
  return o;
}

/** Copies `schema`, pointing its component `$ref`s into COMPONENTS_ID and noting each name reached. */
function relink(schema: Json, reached: Set<string>): Json {
  if (Array.isArray(schema)) return schema.map((s) => relink(s, reached));
  if (!isObject(schema)) return schema;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k === '$ref' && typeof v === 'string' && v.startsWith(SCHEMA_REF)) {
      const name = v.slice(SCHEMA_REF.length);
      reached.add(name);
      out[k] = `${COMPONENTS_ID}#/$defs/${name}`;
    } else out[k] = relink(v, reached);
  }
  return out.nullable === true ? nullable(out) : out;
}

/**
 * OpenAPI 3.0's `nullable: true` in JSON Schema terms. Ajv takes it beside `type`, as long as an
 * `enum` lists null too; anywhere else (beside `$ref`, `allOf`, `oneOf`) null becomes an alternative.
 */
function nullable(schema: JsonObject): JsonObject {
  if (schema.type !== undefined) {
    return Array.isArray(schema.enum) && !schema.enum.includes(null) ? { ...schema, enum: [...schema.enum, null] } : schema;
  }
  const { nullable: _, ...rest } = schema;
  return { anyOf: [rest, { type: 'null' }] };
}

function jsonSchema(content: Json | undefined, reached: Set<string>): JsonObject | undefined {
  if (!isObject(content)) return undefined;
  const json = content['application/json'];
  if (!isObject(json) || !isObject(json.schema)) return undefined;
  return object(relink(json.schema, reached), 'schema');
}

function extract(spec: JsonObject, key: OperationKey, reached: Set<string>): Operation {
  const [method, template] = key.split(' ') as [string, string];
  const op = object(object(object(spec.paths, 'paths')[template], template)[method.toLowerCase()], key);
  const parameters = (Array.isArray(op.parameters) ? op.parameters : []).map((p): Parameter => {
    const param = deref(spec, p, `${key} parameter`);
    if (typeof param.name !== 'string' || (param.in !== 'path' && param.in !== 'query')) throw new Error(`${key}: unexpected parameter ${JSON.stringify(param)}`);
    return { name: param.name, in: param.in, required: param.required === true, schema: object(relink(param.schema ?? {}, reached), 'parameter schema') };
  });
  const responses = new Map<number, JsonObject | undefined>();
  for (const [status, response] of Object.entries(object(op.responses, `${key} responses`))) {
    responses.set(Number(status), jsonSchema(deref(spec, response, `${key} ${status}`).content, reached));
  }
  let requestBody: Operation['requestBody'];
  if (op.requestBody !== undefined) {
    const body = deref(spec, op.requestBody, `${key} request body`);
    const schema = jsonSchema(body.content, reached);
    if (schema) requestBody = { required: body.required === true, schema };
  }
  const pathNames: string[] = [];
  const pattern = new RegExp(
    `^${template
      .split('/')
      .map((segment) => {
        const m = /^\{(\w+)\}$/.exec(segment);
        if (!m) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        pathNames.push(m[1]!);
        return '([^/]+)';
      })
      .join('/')}$`,
  );
  if (typeof op.operationId !== 'string') throw new Error(`${key}: no operationId`);
  return { key, operationId: op.operationId, method, pattern, pathNames, parameters, responses, ...(requestBody ? { requestBody } : {}) };
}

/** The implemented operations, and the component schemas they reach, from the description. */
function load(): { operations: Operation[]; components: JsonObject; version: string } {
  const spec = object(JSON.parse(readFileSync(SPEC_FILE, 'utf8')) as Json, 'description');
  const reached = new Set<string>([GENERIC_ERROR]);
  const operations = IMPLEMENTED_OPERATIONS.map((key) => extract(spec, key, reached));
  const schemas = object(object(spec.components, 'components').schemas, 'component schemas');
  const defs: JsonObject = {};
  // Relinking a component can reach more: go on until no new name turns up.
  for (let pending = [...reached]; pending.length > 0; ) {
    const before = new Set(reached);
    for (const name of pending) defs[name] = relink(object(schemas[name], `schema ${name}`), reached);
    pending = [...reached].filter((n) => !before.has(n));
  }
  const info = object(spec.info, 'info');
  return { operations, components: { $id: COMPONENTS_ID, $defs: defs }, version: String(info.version) };
}

const addFormats = ajvFormats.default;

function compiler(coerceTypes: boolean): Ajv {
  // strict: false, since the description carries OpenAPI keywords (`example`, `x-github`, …) that are
  // not JSON Schema; `nullable` is understood (see nullable()), `discriminator` is left unused.
  const ajv = new Ajv({ strict: false, allErrors: true, coerceTypes, logger: false });
  addFormats(ajv);
  return ajv;
}

function describeErrors(errors: readonly ErrorObject[] | null | undefined, data: string): string {
  return (errors ?? [])
    .slice(0, 20)
    .map((e) => `${data}${e.instancePath} ${e.message ?? 'is invalid'}${e.keyword === 'additionalProperties' || e.keyword === 'enum' ? ` ${JSON.stringify(e.params)}` : ''}`)
    .join('; ');
}

/** The contract: the implemented operations of api.github.com, with lazily compiled validators. */
export class GithubContract {
  private readonly operations: readonly Operation[];
  /** The description's version (`info.version`). */
  readonly version: string;
  private readonly bodies: Ajv;
  private readonly params: Ajv;
  private readonly validators = new Map<string, ValidateFunction>();
  private static instance: GithubContract | undefined;

  /** The one contract of this process, read from the description on first use. */
  static shared(): GithubContract {
    GithubContract.instance ??= new GithubContract();
    return GithubContract.instance;
  }

  private constructor() {
    const { operations, components, version } = load();
    this.operations = operations;
    this.version = version;
    this.bodies = compiler(false);
    this.bodies.addSchema(components);
    // Path and query values arrive as strings: coerce them to the declared types before checking.
    this.params = compiler(true);
    this.params.addSchema(components);
  }

  /** The operation `method` `pathname` is, with its path parameters (decoded), if the fake implements it. */
  match(method: string, pathname: string): OperationMatch | undefined {
    for (const op of this.operations) {
      if (op.method !== method) continue;
      const m = op.pattern.exec(pathname);
      if (!m) continue;
      const params: Record<string, string> = {};
      op.pathNames.forEach((name, i) => {
        const raw = m[i + 1]!;
        try {
          params[name] = decodeURIComponent(raw);
        } catch {
          params[name] = raw;
        }
      });
      return { key: op.key, operationId: op.operationId, params };
    }
    return undefined;
  }

  /** What is wrong with a request (an empty list if nothing is): the operation, its parameters and its body. */
  checkRequest(method: string, url: URL, body: string): string[] {
    const what = `${method} ${url.pathname}${url.search}`;
    const found = this.match(method, url.pathname);
    if (!found) return [`request ${what}: not one of the operations the fake implements (${IMPLEMENTED_OPERATIONS.length} of api.github.com)`];
    const op = this.operation(found.key);
    const problems: string[] = [];
    const values: Record<string, string> = { ...found.params };
    for (const [name, value] of url.searchParams) {
      if (op.parameters.some((p) => p.in === 'query' && p.name === name)) values[name] = value;
    }
    const params = this.validator(`${op.key} parameters`, this.params, () => ({
      type: 'object',
      properties: Object.fromEntries(op.parameters.map((p) => [p.name, p.schema])),
      required: op.parameters.filter((p) => p.required).map((p) => p.name),
    }));
    if (!params(values)) problems.push(`request ${what} (${op.operationId}): ${describeErrors(params.errors, 'parameters')}`);
    if (!op.requestBody) {
      if (body !== '') problems.push(`request ${what} (${op.operationId}): sends a body, and the operation takes none`);
      return problems;
    }
    if (body === '') {
      if (op.requestBody.required) problems.push(`request ${what} (${op.operationId}): the request body is required`);
      return problems;
    }
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      return [...problems, `request ${what} (${op.operationId}): the body is not JSON`];
    }
    const schema = op.requestBody.schema;
    const validate = this.validator(`${op.key} request`, this.bodies, () => schema);
    if (!validate(json)) problems.push(`request ${what} (${op.operationId}): ${describeErrors(validate.errors, 'body')}`);
    return problems;
  }

  /**
   * What is wrong with a response (an empty list if nothing is). `body` is the parsed JSON sent, or
   * undefined for none. A success status the operation does not document is wrong; an error status it
   * does not document (401, a rate limit's 403 or 429, a 5xx) is held to GitHub's `basic-error`.
   */
  checkResponse(method: string, pathname: string, status: number, body: unknown): string[] {
    const found = this.match(method, pathname);
    if (!found) return []; // Already reported for the request.
    const op = this.operation(found.key);
    const what = `response ${status} to ${method} ${pathname} (${op.operationId})`;
    let name = `${op.key} ${status}`;
    let schema: JsonObject | undefined;
    if (op.responses.has(status)) schema = op.responses.get(status);
    else if (status < 400) return [`${what}: the operation documents no status ${status} (only ${[...op.responses.keys()].join(', ')})`];
    else {
      name = GENERIC_ERROR;
      schema = { $ref: `${COMPONENTS_ID}#/$defs/${GENERIC_ERROR}` };
    }
    if (!schema) return body === undefined ? [] : [`${what}: the operation documents no body for status ${status}`];
    if (body === undefined) return [`${what}: no body, where the operation documents one`];
    const fixed = schema;
    const validate = this.validator(name, this.bodies, () => fixed);
    return validate(body) ? [] : [`${what}: ${describeErrors(validate.errors, 'body')}`];
  }

  private operation(key: OperationKey): Operation {
    const op = this.operations.find((o) => o.key === key);
    if (!op) throw new Error(`no operation ${key}`);
    return op;
  }

  private validator(name: string, ajv: Ajv, schema: () => SchemaObject): ValidateFunction {
    const key = `${ajv === this.params ? 'params' : 'bodies'}:${name}`;
    let v = this.validators.get(key);
    if (!v) {
      v = ajv.compile(schema());
      this.validators.set(key, v);
    }
    return v;
  }
}

/** The contract, read from the description on first use and kept for the rest of the process. */
export function githubContract(): GithubContract {
  return GithubContract.shared();
}
