/**
 * A reader's browser, as far as HTTP goes: a cookie jar, redirects followed by hand (so every hop is
 * seen), and forms posted with the CSRF token of the page they came from. Used to sign in through the
 * real OpenID Connect flow (our site → the provider's form → the callback), no shortcut.
 */
import http from 'node:http';

export interface Hop {
  readonly status: number;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

export class BrowserSession {
  readonly cookies = new Map<string, string>();

  constructor(
    readonly origin: string,
    /** Local address to send from (e.g. 127.0.0.2 for a client inside a reading-room range). */
    readonly localAddress?: string,
  ) {}

  private store(url: URL, setCookie: string[] | undefined): void {
    for (const c of setCookie ?? []) {
      const [pair] = c.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const key = `${url.host}|${name}`;
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(c)) this.cookies.delete(key);
      else this.cookies.set(key, value);
    }
  }

  cookieHeader(url: URL): string {
    return [...this.cookies].filter(([k]) => k.startsWith(`${url.host}|`)).map(([k, v]) => `${k.split('|')[1]}=${v}`).join('; ');
  }

  /** One request, no redirect followed. */
  request(method: string, target: string, opts: { body?: string; headers?: Record<string, string> } = {}): Promise<Hop> {
    const url = new URL(target, this.origin);
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          method,
          host: url.hostname,
          port: url.port,
          path: url.pathname + url.search,
          localAddress: this.localAddress,
          headers: {
            ...(this.cookieHeader(url) ? { Cookie: this.cookieHeader(url) } : {}),
            ...(opts.body !== undefined ? { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': Buffer.byteLength(opts.body) } : {}),
            ...opts.headers,
          },
        },
        (res) => {
          this.store(url, res.headers['set-cookie']);
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, url: url.href, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        },
      );
      req.on('error', reject);
      req.end(opts.body);
    });
  }

  /** GET (or a POST, then GETs) following redirects like a browser; returns every hop. */
  async navigate(target: string, opts: { method?: string; body?: string; headers?: Record<string, string> } = {}): Promise<Hop[]> {
    const hops: Hop[] = [];
    let hop = await this.request(opts.method ?? 'GET', target, { body: opts.body, headers: opts.headers });
    hops.push(hop);
    for (let i = 0; i < 15 && hop.status >= 300 && hop.status < 400 && hop.headers.location; i++) {
      hop = await this.request('GET', new URL(hop.headers.location, hop.url).href);
      hops.push(hop);
    }
    return hops;
  }

  /** Posts the first form of a page with these fields added to its hidden ones (CSRF included). */
  async submit(page: Hop, fields: Record<string, string>): Promise<Hop[]> {
    const form = /<form[^>]*method="post"[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/i.exec(page.body);
    if (!form) throw new Error(`no form on ${page.url}: ${page.body.slice(0, 300)}`);
    const hidden = [...form[2]!.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1]!, unescape(m[2]!)]);
    const body = new URLSearchParams([...hidden, ...Object.entries(fields)] as [string, string][]).toString();
    return this.navigate(new URL(unescape(form[1]!), page.url).href, { method: 'POST', body, headers: { Origin: new URL(page.url).origin } });
  }

  /** Signs in through /auth/login and the embedded provider's form; returns the last hop. */
  async signIn(email: string, password: string, returnTo = '/'): Promise<Hop> {
    const hops = await this.navigate(`/auth/login?returnTo=${encodeURIComponent(returnTo)}`);
    const form = hops.at(-1)!;
    if (form.status !== 200 || !/name="password"/.test(form.body)) throw new Error(`no sign-in form: ${form.status} ${form.url} ${form.body.slice(0, 300)}`);
    return (await this.submit(form, { email, password })).at(-1)!;
  }
}

function unescape(s: string): string {
  return s.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>');
}
