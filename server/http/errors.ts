/**
 * The one place where errors become HTTP responses. An AppError carries its status and a public
 * message; a Koa/HTTP error with `expose` keeps its status; anything else is our bug: logged with its
 * stack, answered with a generic 500 that reveals nothing.
 */
import type Koa from 'koa';
import type { Logger } from 'pino';
import { AppError, MethodNotAllowedError, NotFoundError, ServiceUnavailableError, StorageFaultError, TooManyRequestsError, UnauthorizedError } from '../errors.js';
import { storageFault } from '../storage/faults.js';

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

interface HttpishError {
  status?: number;
  expose?: boolean;
  message?: string;
}

function isClientError(err: unknown): err is Error & HttpishError {
  const status = (err as HttpishError | null)?.status;
  return err instanceof Error && typeof status === 'number' && status >= 400 && status < 500;
}

/** An error as a page of the site (web/ gives it its layout): heading, message, the way on. */
export type ErrorPage = (p: { status: number; heading: string; message: string; lang: 'vi' | 'en'; links: string; path: string }) => string;

/** The bare page, when no site layout is given (tests of the handler alone). */
const barePage: ErrorPage = (p) =>
  `<!doctype html><html lang="${p.lang}"><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${p.status} · Văn Khố</title><h1>${p.heading}</h1><p>${escapeHtml(p.message)}</p>${p.links}</html>`;

export function errorHandler(logger: Logger, page: ErrorPage = barePage): Koa.Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        // No route: a browser gets the site's "not found" page, a program JSON.
        if (ctx.method === 'GET' && ctx.accepts('json', 'html') === 'html') {
          ctx.state.errorFormat = 'html';
          ctx.state.lang ??= ctx.query.lang === 'en' ? 'en' : 'vi';
          throw new NotFoundError(ctx.state.lang === 'en' ? `nothing at ${ctx.path}` : `không có trang nào ở địa chỉ ${ctx.path}`);
        }
        ctx.status = 404;
        ctx.body = { error: 'not_found', message: `nothing at ${ctx.path}` };
      }
    } catch (err) {
      let status = 500;
      let code = 'internal_error';
      let message = 'internal server error';
      // A system error of our storage (ENOSPC, EROFS, SQLITE_FULL…): our side, said so, retryable.
      const fault = err instanceof AppError ? null : storageFault(err);
      if (fault) logger.error({ err, method: ctx.method, path: ctx.path }, 'storage fault');
      if (fault ?? err instanceof AppError) {
        const known = (fault ?? err) as AppError;
        ({ status, code, publicMessage: message } = known);
        if (known instanceof MethodNotAllowedError) ctx.set('Allow', known.allow);
        if (known instanceof UnauthorizedError) ctx.set('WWW-Authenticate', known.challenge);
        if (known instanceof TooManyRequestsError || known instanceof ServiceUnavailableError || known instanceof StorageFaultError) ctx.set('Retry-After', String(known.retryAfter));
      } else if ((err as { code?: string }).code === 'SQLITE_BUSY') {
        // Another process holds the database for writing longer than we wait (a `vankho reindex`): our
        // side, for a short while; the request itself was fine.
        status = 503;
        code = 'busy';
        message = 'the catalogue is busy (the search index is being rebuilt); try again shortly';
        ctx.set('Retry-After', '30');
      } else if (isClientError(err)) {
        // Errors from Koa and its middleware that carry a 4xx status (body too large, malformed JSON…).
        status = err.status!;
        code = status === 413 ? 'too_large' : 'bad_request';
        message = err.expose || err instanceof SyntaxError ? `${err instanceof SyntaxError ? 'malformed JSON: ' : ''}${err.message}` : 'bad request';
      } else if (ctx.req.readableAborted || (ctx.req.destroyed && !ctx.req.complete)) {
        // The client cut its request short (an upload aborted mid-way): nothing to answer, no error of ours.
        status = 499;
        code = 'client_gone';
        message = 'the client closed the connection before its request was complete';
        logger.info({ method: ctx.method, path: ctx.path, err: (err as Error).message }, 'client aborted its request');
      } else {
        logger.error({ err, method: ctx.method, path: ctx.path }, 'unhandled error');
      }
      ctx.status = status;
      ctx.remove('ETag');
      ctx.remove('Last-Modified');
      ctx.set('Cache-Control', 'no-store');
      if (ctx.state.errorFormat === 'html') {
        ctx.type = 'text/html; charset=utf-8';
        const vi = ctx.state.lang !== 'en';
        const titles: Record<number, [string, string]> = {
          401: ['Cần đăng nhập', 'Sign-in needed'],
          403: ['Không được phép', 'Not allowed'],
          404: ['Không tìm thấy', 'Not found'],
          413: ['Quá lớn', 'Too large'],
          429: ['Quá nhiều lần thử', 'Too many attempts'],
          500: ['Lỗi máy chủ', 'Server error'],
          503: ['Máy chủ đang bận', 'Server busy'],
          507: ['Máy chủ hết chỗ lưu trữ', 'Server out of storage'],
        };
        const [tvi, ten] = titles[status] ?? (status >= 500 ? ['Lỗi máy chủ', 'Server error'] : ['Yêu cầu không hợp lệ', 'Bad request']);
        const login = status === 401 ? `<p><a href="/auth/login?returnTo=${encodeURIComponent(ctx.originalUrl)}">${vi ? 'Đăng nhập' : 'Sign in'}</a></p>` : '';
        const home = `<p><a href="${vi ? '/' : '/?lang=en'}">${vi ? 'Về trang chủ' : 'Back to the home page'}</a> · <a href="${vi ? '/search' : '/search?lang=en'}">${vi ? 'Tìm tài liệu' : 'Search the library'}</a></p>`;
        ctx.body = page({ status, heading: vi ? tvi : ten, message, lang: vi ? 'vi' : 'en', links: login + home, path: ctx.path });
      } else if (ctx.state.errorFormat === 'text') {
        ctx.type = 'text/plain; charset=utf-8';
        ctx.body = `${status} ${code}: ${message}\n`;
      } else {
        ctx.body = { error: code, message };
      }
    }
  };
}
