"""A fake Telegram Bot API server on loopback HTTP, for end-to-end tests and the benchmark.

The bot under test talks to it exactly as to api.telegram.org (`CRM_TELEGRAM_API_BASE`); the
test plays the users in-process:

    fake = FakeTelegram(); await fake.start()
    await fake.user_message(42, "/start")
    event = await fake.next_event(42)          # what the bot did: send, edit, photo, document...
    await fake.click(42, "Settings")           # press a button of the bot's latest keyboard
    await fake.user_document(42, b"%PDF...", "offer.pdf")  # the bot fetches it with getFile
    fake.sent_files(42, "photo")               # what the bot sent as files, with their bytes

It checks what real Telegram checks and bots get wrong: HTML that does not parse, texts over
4,096 characters, callback data over 64 bytes, "message is not modified"; and it can answer
429 `retry_after` (`rate_limit`) or 403 "bot was blocked by the user" (`block`).
"""

from __future__ import annotations

import asyncio
import functools
import html
import itertools
import json
import re
import secrets
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TOKEN = "123456:" + "A" * 35
JSON_FIELDS = {
    "reply_markup",
    "media",
    "commands",
    "scope",
    "entities",
    "caption_entities",
    "link_preview_options",
    "allowed_updates",
    "reply_parameters",
}
ALLOWED_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "span",
    "tg-spoiler",
    "a",
    "tg-emoji",
    "code",
    "pre",
    "blockquote",
}
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)([^<>]*)>")
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")
FILE_KINDS = {"photo", "document", "audio", "voice", "video", "animation"}
DEFAULT_KINDS = frozenset({"send", "edit", "delete", *FILE_KINDS})


class ApiError(Exception):
    def __init__(self, code: int, description: str, **parameters: Any) -> None:
        super().__init__(description)
        self.code, self.description, self.parameters = code, description, parameters


@dataclass
class BotEvent:
    """One thing the bot did in a chat."""

    kind: str  # send | edit | delete | photo | document | ... | answer | chat_action
    chat_id: int
    message: dict[str, Any] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return self.message.get("text") or self.message.get("caption") or ""

    @property
    def buttons(self) -> list[list[dict[str, Any]]]:
        markup = self.message.get("reply_markup") or {}
        return markup.get("inline_keyboard", [])

    def button_texts(self) -> list[str]:
        return [b["text"] for row in self.buttons for b in row]

    def button(self, text: str, *, exact: bool = False) -> dict[str, Any]:
        """The first button whose text contains `text` (or is `text` when `exact`)."""
        for row in self.buttons:
            for b in row:
                if (b["text"] == text) if exact else (text in b["text"]):
                    return b
        raise LookupError(f"no button {text!r} in {self.button_texts()}")


def visible_text(text: str) -> str:
    """What the user sees of an HTML text; raises ApiError as Telegram does when it cannot parse."""
    stack: list[str] = []
    pos, out = 0, []
    for match in _TAG.finditer(text):
        out.append(text[pos : match.start()])
        closing, name = match.group(1), match.group(2).lower()
        if name not in ALLOWED_TAGS:
            raise ApiError(400, f"Bad Request: can't parse entities: unsupported tag {name!r}")
        if closing:
            if not stack or stack.pop() != name:
                raise ApiError(400, f"Bad Request: can't parse entities: unexpected end tag {name}")
        else:
            stack.append(name)
        pos = match.end()
    out.append(text[pos:])
    if stack:
        raise ApiError(400, f"Bad Request: can't parse entities: unclosed tag {stack[-1]}")
    plain = "".join(out)
    if "<" in plain or ">" in plain:
        raise ApiError(400, "Bad Request: can't parse entities: unescaped < or >")
    if "&" in _ENTITY.sub("", plain):
        raise ApiError(400, "Bad Request: can't parse entities: bad character entity")
    return html.unescape(plain)


class FakeTelegram:
    def __init__(self, token: str = TOKEN, username: str = "crm_test_bot") -> None:
        self.token = token
        self.bot_id = int(token.split(":")[0])
        self.bot_user = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "CRM",
            "username": username,
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.updates: deque[dict[str, Any]] = deque()
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self.files: dict[str, dict[str, Any]] = {}  # file_id -> content, name, path
        self.downloads: list[str] = []  # file_path of every file the bot downloaded
        self.history: dict[int, list[BotEvent]] = defaultdict(list)
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.webhook: dict[str, Any] = {}
        self.answered: dict[str, dict[str, Any]] = {}
        self.blocked: set[int] = set()
        self.confirmed_update_id = 0
        self._limits: list[tuple[str | None, int]] = []
        self._cursor: dict[int, int] = defaultdict(int)
        self._callbacks: dict[str, int] = {}
        self._ids = itertools.count(1)
        self._update_ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.base_url = ""
        self._closing = False

    # --- lifecycle ------------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        sock = site._server.sockets[0]  # type: ignore[union-attr]
        self.base_url = "http://{}:{}".format(*sock.getsockname()[:2])
        return self.base_url

    async def close(self) -> None:
        self._closing = True
        async with self._changed:
            self._changed.notify_all()
        if self._runner:
            await self._runner.cleanup()

    # --- switches -------------------------------------------------------------------------------

    def rate_limit(
        self, method: str | None = None, *, retry_after: int = 1, times: int = 1
    ) -> None:
        """The next `times` calls (of `method`, or of any sending method) get 429 retry_after."""
        self._limits.extend([(method, retry_after)] * times)

    def block(self, chat_id: int) -> None:
        self.blocked.add(chat_id)

    # --- simulated users ------------------------------------------------------------------------

    def user(self, chat_id: int, **extra: Any) -> dict[str, Any]:
        base = {
            "id": chat_id,
            "is_bot": False,
            "first_name": f"User{chat_id}",
            "language_code": "uk",
        }
        return {**base, **extra}

    async def user_message(
        self, chat_id: int, text: str, *, user: dict[str, Any] | None = None, **extra: Any
    ) -> dict[str, Any]:
        message = self._user_message_base(chat_id, user)
        message["text"] = text
        if text.startswith("/"):
            message["entities"] = [
                {"type": "bot_command", "offset": 0, "length": len(text.split()[0])}
            ]
        message.update(extra)
        await self._push({"message": message})
        return message

    async def user_document(
        self,
        chat_id: int,
        content: bytes,
        file_name: str = "file.pdf",
        mime_type: str = "application/pdf",
        *,
        caption: str | None = None,
        user: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        info = self._store_file(content, file_name, mime_type, "documents")
        message = self._user_message_base(chat_id, user)
        message["document"] = {
            k: info[k] for k in ("file_id", "file_unique_id", "file_size", "file_name", "mime_type")
        }
        if caption:
            message["caption"] = caption
        await self._push({"message": message})
        return message

    async def user_photo(
        self,
        chat_id: int,
        content: bytes,
        *,
        caption: str | None = None,
        user: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        info = self._store_file(content, "photo.jpg", "image/jpeg", "photos")
        message = self._user_message_base(chat_id, user)
        message["photo"] = [{**self._size(info), "width": 800, "height": 600}]
        if caption:
            message["caption"] = caption
        await self._push({"message": message})
        return message

    async def user_callback(
        self,
        chat_id: int,
        message_id: int,
        data: str,
        *,
        user: dict[str, Any] | None = None,
        forge: bool = False,
    ) -> str:
        """Press a button; `forge=True` sends data that is not on the keyboard (a forged client)."""
        message = self.messages[(chat_id, message_id)]
        if not forge:
            options = [
                b.get("callback_data")
                for row in (message.get("reply_markup") or {}).get("inline_keyboard", [])
                for b in row
            ]
            if data not in options:
                raise LookupError(f"{data!r} is not on message {message_id}: {options}")
        callback_id = str(next(self._ids)) + secrets.token_hex(4)
        self._callbacks[callback_id] = chat_id
        await self._push(
            {
                "callback_query": {
                    "id": callback_id,
                    "from": user or self.user(chat_id),
                    "message": message,
                    "chat_instance": f"ci{chat_id}",
                    "data": data,
                }
            }
        )
        return callback_id

    async def click(
        self,
        chat_id: int,
        text: str,
        *,
        message_id: int | None = None,
        user: dict[str, Any] | None = None,
        exact: bool = False,
    ) -> str:
        """Press the button whose text contains `text` (is `text`, when `exact`) on the bot's
        latest keyboard in the chat, as a user sees it (not by its callback data)."""
        for event in reversed(self.history[chat_id]):
            mid = event.message.get("message_id")
            if mid is None or (message_id and mid != message_id):
                continue
            current = self.messages.get((chat_id, mid))
            if current and current.get("reply_markup"):
                button = BotEvent("send", chat_id, current).button(text, exact=exact)
                data = button["callback_data"]
                return await self.user_callback(chat_id, mid, data, user=user)
        raise LookupError(f"no keyboard with {text!r} in chat {chat_id}")

    async def next_event(
        self,
        chat_id: int,
        timeout: float = 10.0,  # noqa: ASYNC109
        kinds: frozenset[str] | set[str] = DEFAULT_KINDS,
    ) -> BotEvent:
        """The next thing the bot did in the chat (skipping answers and chat actions by default)."""
        deadline = time.monotonic() + timeout
        async with self._changed:
            while True:
                events = self.history[chat_id]
                while self._cursor[chat_id] < len(events):
                    event = events[self._cursor[chat_id]]
                    self._cursor[chat_id] += 1
                    if event.kind in kinds:
                        return event
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"the bot did nothing in chat {chat_id} for {timeout} s")
                try:
                    await asyncio.wait_for(self._changed.wait(), left)
                except TimeoutError:
                    continue

    def pending_events(self, chat_id: int, kinds: frozenset[str] = DEFAULT_KINDS) -> list[BotEvent]:
        return [e for e in self.history[chat_id][self._cursor[chat_id] :] if e.kind in kinds]

    def sent_files(self, chat_id: int, kind: str | None = None) -> list[BotEvent]:
        """Every photo, document... the bot sent to the chat (`params["content"]`: its bytes,
        `params["file_name"]`: its name), whether or not `next_event` has passed it."""
        return [
            e
            for e in self.history[chat_id]
            if e.kind in FILE_KINDS and (kind is None or e.kind == kind)
        ]

    async def wait_answered(
        self,
        callback_id: str,
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> dict[str, Any]:
        async with self._changed:
            await asyncio.wait_for(
                self._changed.wait_for(lambda: callback_id in self.answered), timeout
            )
        return self.answered[callback_id]

    async def wait_confirmed(
        self,
        update_id: int,
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> None:
        """Wait until the bot has fetched `update_id` and confirmed it with a later offset."""
        async with self._changed:
            await asyncio.wait_for(
                self._changed.wait_for(lambda: self.confirmed_update_id >= update_id), timeout
            )

    async def wait_request(
        self,
        method: str,
        since: int = 0,
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> int:
        """Wait until the bot calls `method` (among requests after index `since`); its index."""

        def found() -> int | None:
            calls = range(since, len(self.requests))
            return next((i for i in calls if self.requests[i][0] == method), None)

        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: found() is not None), timeout)
        return found()  # type: ignore[return-value]

    # --- internals ------------------------------------------------------------------------------

    def _user_message_base(self, chat_id: int, user: dict[str, Any] | None) -> dict[str, Any]:
        sender = user or self.user(chat_id)
        message = {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "from": sender,
            "chat": {"id": chat_id, "type": "private", "first_name": sender["first_name"]},
        }
        self.messages[(chat_id, message["message_id"])] = message
        return message

    async def _push(self, update: dict[str, Any]) -> int:
        update["update_id"] = next(self._update_ids)
        async with self._changed:
            self.updates.append(update)
            self._changed.notify_all()
        return update["update_id"]

    async def _record(self, event: BotEvent) -> None:
        async with self._changed:
            self.history[event.chat_id].append(event)
            self._changed.notify_all()

    def _store_file(self, content: bytes, name: str, mime: str, folder: str) -> dict[str, Any]:
        n = next(self._ids)
        info = {
            "file_id": f"F{n}{secrets.token_hex(6)}",
            "file_unique_id": f"U{n}",
            "file_size": len(content),
            "file_name": name,
            "mime_type": mime,
            "file_path": f"{folder}/file_{n}_{name}",
            "content": content,
        }
        self.files[info["file_id"]] = info
        return info

    @staticmethod
    def _size(info: dict[str, Any]) -> dict[str, Any]:
        return {k: info[k] for k in ("file_id", "file_unique_id", "file_size")}

    async def _params(self, request: web.Request) -> tuple[dict[str, Any], dict[str, Any]]:
        params: dict[str, Any] = {}
        uploads: dict[str, Any] = {}
        if request.content_type == "application/json":
            return await request.json(), uploads
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                uploads[key] = {
                    "content": value.file.read(),
                    "file_name": value.filename,
                    "mime_type": value.content_type,
                }
            elif key in JSON_FIELDS:
                params[key] = json.loads(value)
            else:
                params[key] = value
        for key in ("chat_id", "message_id", "offset", "limit", "timeout", "user_id"):
            if isinstance(params.get(key), str) and params[key].lstrip("-").isdigit():
                params[key] = int(params[key])
        return params, uploads

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        method = request.match_info["method"]
        params, uploads = await self._params(request)
        async with self._changed:
            self.requests.append((method, params))
            self._changed.notify_all()
        handler = getattr(self, "api_" + method.lower(), None)
        kind = method.lower().removeprefix("send")
        if handler is None and kind in FILE_KINDS:
            handler = functools.partial(self._api_send_file, kind)
        if handler is None:
            return web.json_response(
                {"ok": False, "error_code": 404, "description": "Not Found: method not found"},
                status=404,
            )
        try:
            self._check_limits(method, params)
            result = await handler(params, uploads)
        except ApiError as error:
            body: dict[str, Any] = {
                "ok": False,
                "error_code": error.code,
                "description": error.description,
            }
            if error.parameters:
                body["parameters"] = error.parameters
            return web.json_response(body, status=error.code)
        return web.json_response({"ok": True, "result": result})

    def _check_limits(self, method: str, params: dict[str, Any]) -> None:
        if method in ("getUpdates", "getMe", "deleteWebhook", "setMyCommands", "getMyCommands"):
            return
        if params.get("chat_id") in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        for i, (limited, retry_after) in enumerate(self._limits):
            if limited in (None, method):
                del self._limits[i]
                raise ApiError(
                    429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after
                )

    def _check_markup(self, markup: dict[str, Any] | None) -> None:
        for row in (markup or {}).get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(data.encode()) <= 64:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")

    def _check_text(self, params: dict[str, Any], key: str = "text", limit: int = 4096) -> str:
        text = params.get(key) or ""
        shown = visible_text(text) if params.get("parse_mode") == "HTML" else text
        if key == "text" and not shown.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if len(shown.encode("utf-16-le")) // 2 > limit:
            raise ApiError(400, f"Bad Request: message is too long ({key})")
        return text

    def _new_message(self, chat_id: int, **content: Any) -> dict[str, Any]:
        message = {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "from": self.bot_user,
            "chat": {"id": chat_id, "type": "private", "first_name": f"User{chat_id}"},
            **{k: v for k, v in content.items() if v is not None},
        }
        self.messages[(chat_id, message["message_id"])] = message
        return message

    def _target(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self.messages.get((params.get("chat_id"), params.get("message_id")))
        if message is None or message["from"].get("id") != self.bot_id:
            raise ApiError(400, "Bad Request: message to edit not found")
        return message

    def _resolve_file(self, ref: Any, uploads: dict[str, Any], kind: str) -> dict[str, Any]:
        if isinstance(ref, str) and ref.startswith("attach://"):
            ref = uploads.get(ref.removeprefix("attach://"))
        if isinstance(ref, dict):
            return self._store_file(
                ref["content"],
                ref["file_name"] or kind,
                ref["mime_type"] or "application/octet-stream",
                kind + "s",
            )
        if isinstance(ref, str) and ref in self.files:
            return self.files[ref]
        if isinstance(ref, str) and ref.startswith(("http://", "https://")):
            return self._store_file(b"", ref.rsplit("/", 1)[-1], "application/octet-stream", "urls")
        raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")

    def _media_content(self, kind: str, info: dict[str, Any]) -> dict[str, Any]:
        if kind == "photo":
            return {"photo": [{**self._size(info), "width": 800, "height": 600}]}
        return {
            kind: {
                **self._size(info),
                "file_name": info["file_name"],
                "mime_type": info["mime_type"],
            }
        }

    # --- Bot API methods ------------------------------------------------------------------------

    async def api_getme(self, params: dict[str, Any], uploads: dict[str, Any]) -> Any:
        return self.bot_user

    async def api_getupdates(self, params: dict[str, Any], uploads: dict[str, Any]) -> Any:
        offset, limit = int(params.get("offset", 0)), int(params.get("limit", 100))
        deadline = time.monotonic() + float(params.get("timeout", 0))
        async with self._changed:
            while self.updates and self.updates[0]["update_id"] < offset:
                self.confirmed_update_id = self.updates.popleft()["update_id"]
            self._changed.notify_all()
            while not self.updates and time.monotonic() < deadline and not self._closing:
                try:
                    await asyncio.wait_for(self._changed.wait(), deadline - time.monotonic())
                except TimeoutError:
                    break
            return list(itertools.islice(self.updates, limit))

    async def api_sendmessage(self, params: dict[str, Any], uploads: dict[str, Any]) -> Any:
        self._check_markup(params.get("reply_markup"))
        text = self._check_text(params)
        message = self._new_message(
            params["chat_id"], text=text, reply_markup=params.get("reply_markup")
        )
        # a copy: the event is what the user saw then, later edits change `self.messages` only
        await self._record(BotEvent("send", params["chat_id"], dict(message), params))
        return message

    async def _edit(self, params: dict[str, Any], changes: dict[str, Any], kind: str) -> Any:
        message = self._target(params)
        self._check_markup(params.get("reply_markup"))
        changes["reply_markup"] = params.get("reply_markup")
        if all(message.get(k) == v for k, v in changes.items()):
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message "
                "content and reply markup are exactly the same",
            )
        message.update(changes)
        message["edit_date"] = int(time.time())
        await self._record(BotEvent(kind, params["chat_id"], dict(message), params))
        return message

    async def api_editmessagetext(self, params: dict[str, Any], uploads: dict[str, Any]) -> Any:
        if "text" not in self._target(params):
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        return await self._edit(params, {"text": self._check_text(params)}, "edit")

    async def api_editmessagecaption(self, params: dict[str, Any], uploads: dict[str, Any]) -> Any:
        caption = self._check_text(params, "caption", 1024)
        return await self._edit(params, {"caption": caption}, "edit")

    async def api_editmessagereplymarkup(
        self, params: dict[str, Any], uploads: dict[str, Any]
    ) -> Any:
        return await self._edit(params, {}, "edit")

    async def api_editmessagemedia(self, params: dict[str, Any], uploads: dict[str, Any]) -> Any:
        media = params["media"]
        info = self._resolve_file(media["media"], uploads, media["type"])
        message = self._target(params)
        for kind in FILE_KINDS | {"text"}:
            message.pop(kind, None)
        changes = {**self._media_content(media["type"], info), "caption": media.get("caption")}
        return await self._edit(params, changes, "edit")

    async def _api_send_file(
        self, kind: str, params: dict[str, Any], uploads: dict[str, Any]
    ) -> Any:
        self._check_markup(params.get("reply_markup"))
        caption = self._check_text(params, "caption", 1024) or None
        info = self._resolve_file(params.get(kind), uploads, kind)
        message = self._new_message(
            params["chat_id"],
            caption=caption,
            reply_markup=params.get("reply_markup"),
            **self._media_content(kind, info),
        )
        await self._record(
            BotEvent(
                kind,
                params["chat_id"],
                dict(message),
                {**params, "content": info["content"], "file_name": info["file_name"]},
            )
        )
        return message

    async def api_deletemessage(self, params: dict[str, Any], uploads: dict[str, Any]) -> Any:
        message = self.messages.pop((params["chat_id"], params["message_id"]), None)
        if message is None:
            raise ApiError(400, "Bad Request: message to delete not found")
        await self._record(BotEvent("delete", params["chat_id"], message, params))
        return True

    async def api_answercallbackquery(self, params: dict[str, Any], uploads: dict[str, Any]) -> Any:
        callback_id = params["callback_query_id"]
        if callback_id in self.answered:  # unknown ids pass: in-process tests invent them
            raise ApiError(400, "Bad Request: query is too old or query ID is invalid")
        chat_id = self._callbacks.get(callback_id, 0)
        await self._record(BotEvent("answer", chat_id, {}, params))
        async with self._changed:
            self.answered[callback_id] = params
            self._changed.notify_all()
        return True

    async def api_sendchataction(self, params: dict[str, Any], uploads: dict[str, Any]) -> Any:
        await self._record(BotEvent("chat_action", params["chat_id"], {}, params))
        return True

    async def api_setmycommands(self, params: dict[str, Any], uploads: dict[str, Any]) -> Any:
        self.commands[self._commands_key(params)] = params["commands"]
        return True

    @staticmethod
    def _commands_key(params: dict[str, Any]) -> str:
        """'' / 'uk' for the default scope; 'chat:<id>:<lang>' for a chat's own list."""
        scope = params.get("scope") or {"type": "default"}
        lang = params.get("language_code", "")
        return (
            lang if scope["type"] == "default" else f"{scope['type']}:{scope.get('chat_id')}:{lang}"
        )

    async def api_getmycommands(self, params: dict[str, Any], uploads: dict[str, Any]) -> Any:
        return self.commands.get(self._commands_key(params), [])

    async def api_getfile(self, params: dict[str, Any], uploads: dict[str, Any]) -> Any:
        info = self.files.get(params.get("file_id", ""))
        if info is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        return {k: info[k] for k in ("file_id", "file_unique_id", "file_size", "file_path")}

    async def api_setwebhook(self, params: dict[str, Any], uploads: dict[str, Any]) -> Any:
        self.webhook = {"url": params["url"], "secret_token": params.get("secret_token")}
        return True

    async def api_deletewebhook(self, params: dict[str, Any], uploads: dict[str, Any]) -> Any:
        self.webhook = {}
        return True

    async def api_close(self, params: dict[str, Any], uploads: dict[str, Any]) -> Any:
        return True

    async def _download(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        for info in self.files.values():
            if info["file_path"] == request.match_info["path"]:
                self.downloads.append(info["file_path"])
                return web.Response(body=info["content"], content_type=info["mime_type"])
        return web.Response(status=404)
