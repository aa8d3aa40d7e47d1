"""The workbench web app: server-rendered pages over gold, forms that record decisions.

Routes: ``/`` the queue (filters, totals, bulk assign / comment / status; ``as_of``
shows the queue as the books closed on a date), ``/item`` one break (facts,
explanation, candidates, history, decisions, forms), ``/decide`` and ``/bulk`` (POST:
record decisions exactly as the CLI does), ``/login`` / ``/logout`` (token mode),
``/static/workbench.css``, ``/healthz``. No script runs in the pages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lakehouse.config import Settings
from lakehouse.decisions import STATUSES, Decision, DecisionError, record_decisions
from lakehouse.errors import LakehouseError
from lakehouse.queue_view import UNASSIGNED, QueueFilter, load, select, totals
from lakehouse.workbench import data, forms, render
from lakehouse.workbench.security import COOKIE, SESSION_SECONDS, Access, Session, same_origin

HERE = Path(__file__).parent
SHOWN_ROWS = 500
HEADERS = {
    "content-security-policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
}


@dataclass
class Workbench:
    settings: Settings
    access: Access
    templates: Jinja2Templates
    pending: data.PendingDecisions = field(default_factory=data.PendingDecisions)

    def session(self, request: Request) -> tuple[Session, bool]:
        found = Session.load(self.access, request.cookies.get(COOKIE))
        if found is not None:
            return found, False
        user = None if self.access.needs_sign_in else self.access.user
        return Session.new(user), True

    def page(
        self, request: Request, name: str, session: Session, status: int = 200, **context: Any
    ) -> Response:
        context.update(csrf=session.csrf, user=session.user, sign_in=self.access.needs_sign_in)
        return self.templates.TemplateResponse(request, name, context, status_code=status)

    def keep(self, response: Response, session: Session, new: bool, secure: bool) -> Response:
        if new:
            response.set_cookie(
                COOKIE,
                session.dump(self.access),
                max_age=SESSION_SECONDS,
                httponly=True,
                samesite="strict",
                secure=secure,
            )
        return response


Handler = Callable[[Workbench, Request, Session], Response]


def guarded(wb: Workbench, handler: Handler, *, signed_in: bool = True) -> Callable[..., Any]:
    """Host check, session, sign-in and (for POST) origin and CSRF checks around a page."""

    async def endpoint(request: Request) -> Response:
        if not wb.access.host_ok(request.headers.get("host", "")):
            return PlainTextResponse("this workbench answers on loopback only", 400)
        session, new = wb.session(request)
        if request.method == "POST":
            body = await request.body()
            try:
                request.state.form = forms.parse_body(body)
            except forms.FormError as exc:
                return PlainTextResponse(str(exc), 400)
            given = (request.state.form.get("csrf") or [""])[0]
            if new or not session.csrf_ok(given):
                return PlainTextResponse("form expired or forged: reload the page and retry", 403)
            if not same_origin(request.headers.get("origin"), request.headers.get("host", "")):
                return PlainTextResponse("cross-origin form refused", 403)
        if signed_in and wb.access.needs_sign_in and not session.user:
            target = "/login?" + urlencode({"next": str(request.url.path)})
            return wb.keep(RedirectResponse(target, 303), session, new, _secure(request))
        response = await run_in_threadpool(handler, wb, request, session)
        return wb.keep(response, session, new, _secure(request))

    return endpoint


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _filters(request: Request) -> QueueFilter:
    q = request.query_params
    return QueueFilter(
        leg=q.get("leg", ""),
        partner=q.get("partner", ""),
        reason=q.get("reason", ""),
        severity=q.get("severity", ""),
        owner=q.get("owner", ""),
        status=q.get("status", ""),
        bucket=q.get("bucket", ""),
        breached=q.get("breached") == "1",
        resolved=q.get("resolved") == "1",
    )


def _as_of(request: Request) -> date | None:
    text = request.query_params.get("as_of", "")
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        raise DecisionError(f"as_of {text[:20]!r} is not a date; use YYYY-MM-DD") from None


def queue_page(wb: Workbench, request: Request, session: Session) -> Response:
    wanted = _filters(request)
    error = request.query_params.get("error", "")
    try:
        as_of = _as_of(request)
        queue = load(wb.settings.storage.root, as_of)
    except LakehouseError as exc:
        as_of, queue, error = None, load(wb.settings.storage.root), str(exc)
    levels = [level.name for level in wb.settings.queue.levels]
    shown = select(queue.rows, wanted, levels)
    every = [r for r in queue.rows if r.get("status") != "RESOLVED" or wanted.resolved]
    options = {c: data.choices(every, c) for c in ("leg", "partner", "reason_code", "owner")}
    options.update(severity=levels, status=[*STATUSES, "RESOLVED"])
    options["aging_bucket"] = [label for label, _, _ in wb.settings.aging_buckets]
    return wb.page(
        request,
        "queue.html",
        session,
        rows=shown[:SHOWN_ROWS],
        count=len(shown),
        totals=totals(shown),
        wanted=wanted,
        options=options,
        unassigned=UNASSIGNED,
        queue=queue,
        as_of=as_of,
        recorded=request.query_params.get("recorded", ""),
        error=error,
        statuses=STATUSES,
    )


def _item_keys(request: Request) -> tuple[str, str]:
    source = request.state.form if request.method == "POST" else None
    if source is not None:
        return (source.get("leg") or [""])[0], (source.get("item") or [""])[0]
    return request.query_params.get("leg", ""), request.query_params.get("item", "")


def _item_page(
    wb: Workbench, request: Request, session: Session, status: int = 200, **extra: Any
) -> Response:
    leg, item = _item_keys(request)
    view = data.item_view(wb.settings, wb.pending, leg, item)
    if view.facts is None and view.queue is None and status == 200:
        status = 404
    return wb.page(
        request,
        "item.html",
        session,
        status,
        view=view,
        statuses=STATUSES,
        recorded=request.query_params.get("recorded", ""),
        **extra,
    )


def item_page(wb: Workbench, request: Request, session: Session) -> Response:
    return _item_page(wb, request, session)


def _record(wb: Workbench, decisions: list[Decision]) -> str:
    records, _ = record_decisions(wb.settings, decisions)
    return ",".join(str(r["decision_id"]) for r in records)


def decide(wb: Workbench, request: Request, session: Session) -> Response:
    fields = request.state.form
    leg, item = _item_keys(request)
    action = (fields.get("action") or [""])[0]
    user = session.user or wb.access.user
    try:
        side = data.item_side(wb.settings.storage.root, leg, item)
        decision = forms.item_decision(action, fields, leg, item, side, user)
        ids = _record(wb, [decision])
    except forms.FormError as exc:
        return _item_page(wb, request, session, 400, error=str(exc), error_field=exc.field)
    except LakehouseError as exc:
        return _item_page(wb, request, session, 400, error=str(exc), error_field=action)
    target = "/item?" + urlencode({"leg": leg, "item": item, "recorded": ids})
    return RedirectResponse(target, 303)


def bulk(wb: Workbench, request: Request, session: Session) -> Response:
    back = (request.state.form.get("back") or [""])[0]
    back = back if back.startswith("/") and not back.startswith("//") else "/"
    joiner = "&" if "?" in back else "?"
    try:
        decisions = forms.bulk_decisions(request.state.form, session.user or wb.access.user)
        ids = _record(wb, decisions)
    except LakehouseError as exc:
        return RedirectResponse(f"{back}{joiner}{urlencode({'error': str(exc)})}", 303)
    return RedirectResponse(f"{back}{joiner}{urlencode({'recorded': ids})}", 303)


def login_page(wb: Workbench, request: Request, session: Session) -> Response:
    return wb.page(request, "login.html", session, next=_next(request), error="")


def _next(request: Request) -> str:
    source = request.state.form if request.method == "POST" else None
    target = (source.get("next") or ["/"])[0] if source else request.query_params.get("next", "/")
    return target if target.startswith("/") and not target.startswith("//") else "/"


def login(wb: Workbench, request: Request, session: Session) -> Response:
    fields = request.state.form
    try:
        token = forms.text(fields, "token", "Token", limit=500)
        name = forms.text(fields, "user", "Your name", limit=120)
        if not forms.NAME.fullmatch(name):
            raise forms.FormError("user", "Your name may hold letters, digits and . @ + - _")
    except forms.FormError as exc:
        return wb.page(request, "login.html", session, 400, next=_next(request), error=str(exc))
    if not wb.access.token_ok(token):
        return wb.page(
            request, "login.html", session, 403, next=_next(request), error="Wrong token"
        )
    signed = Session.new(name)
    return wb.keep(RedirectResponse(_next(request), 303), signed, True, _secure(request))


def logout(wb: Workbench, request: Request, session: Session) -> Response:
    response = RedirectResponse("/login" if wb.access.needs_sign_in else "/", 303)
    response.delete_cookie(COOKIE)
    return response


class SecurityHeaders:
    """Adds HEADERS (and no-store for pages) to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [(k.encode(), v.encode()) for k, v in HEADERS.items()]
                headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


def create_app(settings: Settings, access: Access) -> ASGIApp:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True),
    )
    render.install(env)
    wb = Workbench(settings, access, Jinja2Templates(env=env))

    async def css(request: Request) -> Response:
        return FileResponse(HERE / "static" / "workbench.css", media_type="text/css")

    async def icon(request: Request) -> Response:
        return FileResponse(HERE / "static" / "favicon.svg", media_type="image/svg+xml")

    async def health(request: Request) -> Response:
        return PlainTextResponse("ok")

    routes = [
        Route("/", guarded(wb, queue_page)),
        Route("/item", guarded(wb, item_page)),
        Route("/decide", guarded(wb, decide), methods=["POST"]),
        Route("/bulk", guarded(wb, bulk), methods=["POST"]),
        Route("/login", guarded(wb, login_page, signed_in=False)),
        Route("/login", guarded(wb, login, signed_in=False), methods=["POST"]),
        Route("/logout", guarded(wb, logout, signed_in=False), methods=["POST"]),
        Route("/static/workbench.css", css),
        Route("/favicon.ico", icon),
        Route("/static/favicon.svg", icon),
        Route("/healthz", health),
    ]
    return SecurityHeaders(Starlette(routes=routes))
