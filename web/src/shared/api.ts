/** A small fetch client for the Vafa API: bearer token, JSON, RFC 9457 problem errors. */

export type FieldError = { path?: string | (string | number)[]; field?: string; message?: string; code?: string };

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly detail?: string,
    readonly errors?: FieldError[],
  ) {
    super(detail ?? title);
  }
}

export type Session<P> = { token: string } & P;

export type Client = {
  get<T>(path: string, signal?: AbortSignal): Promise<T>;
  post<T>(path: string, body?: unknown, headers?: Record<string, string>): Promise<T>;
  patch<T>(path: string, body: unknown): Promise<T>;
  put<T>(path: string, body: unknown): Promise<T>;
  del<T>(path: string): Promise<T>;
};

export function createClient(getToken: () => string | null, onUnauthenticated: () => void): Client {
  async function request<T>(method: string, path: string, body?: unknown, signal?: AbortSignal, extra?: Record<string, string>): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json, application/problem+json', ...extra };
    const token = getToken();
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal });
    } catch (e) {
      if ((e as Error).name === 'AbortError') throw e;
      throw new ApiError(0, 'network_error', 'Network error');
    }
    const text = await res.text();
    let json: unknown = undefined;
    if (text) {
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
    }
    if (!res.ok) {
      const p = (json ?? {}) as { code?: string; title?: string; detail?: string; errors?: FieldError[] };
      const err = new ApiError(res.status, p.code ?? `http_${res.status}`, p.title ?? res.statusText, p.detail, p.errors);
      if (res.status === 401 && token && err.code !== 'invalid_credentials' && err.code !== 'otp_invalid') onUnauthenticated();
      throw err;
    }
    return json as T;
  }
  return {
    get: (path, signal) => request('GET', path, undefined, signal),
    post: (path, body, headers) => request('POST', path, body ?? {}, undefined, headers),
    patch: (path, body) => request('PATCH', path, body),
    put: (path, body) => request('PUT', path, body),
    del: (path) => request('DELETE', path),
  };
}

/** A session kept in localStorage under one key per app (console and member app sign in separately). */
export function sessionStore<P>(key: string) {
  return {
    load(): Session<P> | null {
      try {
        const raw = localStorage.getItem(key);
        return raw ? (JSON.parse(raw) as Session<P>) : null;
      } catch {
        return null;
      }
    },
    save(s: Session<P>) {
      localStorage.setItem(key, JSON.stringify(s));
    },
    clear() {
      localStorage.removeItem(key);
    },
  };
}

export function qs(params: Record<string, string | number | undefined | null>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : '';
}
