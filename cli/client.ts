/**
 * The CLI's HTTP client: one fetch per call, the auth and actor headers, and every way a
 * call can fail turned into a CliError with the exit code and the message a person reads.
 */

/** An expected failure: printed as `error: <message>` without a stack, exits with `exitCode`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    /** Extra lines after the message (field errors, usage). */
    readonly lines: string[] = [],
  ) {
    super(message);
  }
}

export const EXIT = { ok: 0, api: 1, usage: 2, unreachable: 3 } as const;

export class UsageError extends CliError {
  constructor(message: string, usage: string[] = []) {
    super(message, EXIT.usage, usage);
  }
}

/** An RFC 9457 problem answer (or any non-2xx answer), with its status. */
export class ApiError extends CliError {
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(`${problem.title ?? `HTTP ${status}`}: ${problem.detail ?? '(no detail)'}`, EXIT.api, problemLines(status, problem));
  }
}

export interface Problem {
  title?: string;
  detail?: string;
  status?: number;
  errors?: { field: string; message: string }[];
  allowedActions?: string[];
  [key: string]: unknown;
}

function problemLines(status: number, problem: Problem): string[] {
  const errors = problem.errors ?? [];
  // The detail of a validation problem often is its field errors joined: no need to say it twice.
  const repeated = errors.map((e) => `${e.field} ${e.message}`).join('; ') === problem.detail;
  const lines = repeated ? [] : errors.map((e) => `  ${e.field}: ${e.message}`);
  if (status === 401) lines.push('  give the token with --token <token> or SAGA_TOKEN');
  if (Array.isArray(problem.allowedActions)) {
    lines.push(`  allowed actions: ${problem.allowedActions.length ? problem.allowedActions.join(', ') : 'none'}`);
  }
  return lines;
}

export interface ClientOptions {
  url: string;
  token?: string;
  actor?: string;
  timeoutMs?: number;
}

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  headers?: Record<string, string>;
}

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT']);

function causeCode(error: unknown): string | undefined {
  for (let e: unknown = error; e && typeof e === 'object'; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

export class Client {
  readonly baseUrl: string;

  constructor(private readonly options: ClientOptions) {
    let parsed: URL;
    try {
      parsed = new URL(options.url);
    } catch {
      throw new UsageError(`--url ${JSON.stringify(options.url)} is not a URL (like http://localhost:3000)`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new UsageError(`--url must be http:// or https://, not ${parsed.protocol}`);
    }
    this.baseUrl = parsed.href.replace(/\/+$/, '');
  }

  get<T>(path: string, query?: Query): Promise<T> {
    return this.request<T>('GET', path, { query });
  }

  post<T>(path: string, body: unknown, options: Omit<RequestOptions, 'body'> = {}): Promise<T> {
    return this.request<T>('POST', path, { ...options, body });
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const url = new URL(this.baseUrl + path);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = { accept: 'application/json, application/problem+json', ...options.headers };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (this.options.token) headers.authorization = `Bearer ${this.options.token}`;
    if (this.options.actor) headers['x-actor'] = this.options.actor;

    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
      });
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (name === 'TimeoutError' || name === 'AbortError') {
        throw new CliError(`no answer from ${this.baseUrl} within ${(this.options.timeoutMs ?? 30_000) / 1000} s`, EXIT.unreachable);
      }
      const code = causeCode(error);
      const why = code && !UNREACHABLE_CODES.has(code) ? ` (${code})` : '';
      throw new CliError(`cannot reach ${this.baseUrl} (is the orchestrator running?)${why}`, EXIT.unreachable);
    }

    const text = await response.text();
    let body: unknown = undefined;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
    }
    if (!response.ok) {
      const problem: Problem =
        body && typeof body === 'object'
          ? (body as Problem)
          : { title: `HTTP ${response.status} ${response.statusText}`.trim(), detail: text.slice(0, 300) || '(empty answer)' };
      throw new ApiError(response.status, problem);
    }
    if (body === undefined && text) {
      throw new CliError(`${method} ${url.pathname} answered ${response.status} with something that is not JSON; is ${this.baseUrl} the orchestrator?`, EXIT.api);
    }
    return body as T;
  }
}
