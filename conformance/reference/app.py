"""The reference server: routes, authentication and error answers, as a Starlette app.

    GET  /v1/models               the configured models
    GET  /v1/models/{id}          one of them, or 404 model_not_found
    DELETE /v1/models/{id}        the fine-tuned model it holds (FINE_TUNED), once; 403 for a base model
    POST /v1/chat/completions     chat.py
    GET  /v1/chat/completions and /v1/chat/completions/{id}[/messages]: stored chat completions, chat_store.py
    POST /v1/completions          completions.py (the legacy text completions API)
    POST /v1/embeddings           embeddings.py
    POST /v1/moderations          moderations.py
    /v1/responses, /v1/conversations and below: responses.py
    /v1/files and below: files.py; /v1/uploads and below: uploads.py (a completed upload becomes a file)
    /v1/batches and below: batches.py (each line runs through these routes; results are files)
    /v1/audio/speech, /v1/audio/transcriptions, /v1/audio/translations: audio.py
    /v1/audio/voice_consents and below: voice_consents.py (the consents it holds from its start, read only)
    /v1/vector_stores and below: vector_stores.py (stores of files; the file_search tool of responses.py)
    /v1/images/... : images.py (images drawn by Pillow); /v1/videos and below: videos.py (a job polled to an MP4)
    /v1/containers and below: containers.py (containers and their files)
    /v1/chatkit and below: chatkit.py (sessions of one workflow, the threads it holds, uploads)
    /v1/organization and below: admin.py (the administration API, behind its own admin key)
    /v1/fine_tuning and below: fine_tuning.py (jobs that move as polled, checkpoint permissions, graders)
    /v1/evals and below: evals.py (evals, runs that move as polled and are graded by fine_tuning.py's graders)
    /v1/graders and below: graders.py (seed 000's Graders API: graders and the grades they compute)
    /v1/realtime and below: realtime.py (client secrets, sessions, calls); the WebSocket session at
                                  /v1/realtime: realtime_session.py; the Responses API's WebSocket mode at
                                  /v1/responses: responses_socket.py
    anything else                 404 `Invalid URL (METHOD /path)`, as the real API answers

Every error is the OpenAI envelope `{"error": {"message", "type", "param", "code"}}` (unless a fault says
otherwise), and every answer carries `x-request-id` (the client's own, when it sent one).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import (
    admin,
    assistants,
    audio,
    batches,
    chat,
    chat_store,
    completions,
    embeddings,
    files,
    moderations,
    responses,
    uploads,
)
from . import images as images  # Images and Videos (media-visual)
from . import videos as videos
from ._config import DEFAULT_MODELS, FAULTS, MODELS_CREATED, ModelInfo, ServerConfig
from ._errors import ApiError, base_model_not_deletable, context_length_exceeded, invalid, model_does_not_exist
from ._ids import Ids
from .chatkit import ChatKit  # chatkit
from .chatkit import routes as chatkit_routes  # chatkit
from .containers import Containers  # containers
from .containers import routes as container_routes  # containers
from .evals import Evals  # evals
from .evals import routes as evals_routes  # evals
from .fine_tuning import FineTuning  # fine-tuning
from .fine_tuning import routes as fine_tuning_routes  # fine-tuning
from .graders import Graders  # graders
from .graders import routes as graders_routes  # graders
from .realtime import Calls as RealtimeCalls  # transports
from .realtime import routes as realtime_routes  # transports
from .realtime_session import route as realtime_session_route  # transports
from .responses_socket import route as responses_socket_route  # transports
from .vector_stores import VectorStores
from .vector_stores import routes as vector_store_routes
from .voice_consents import VoiceConsents  # audio: voice consents
from .voice_consents import routes as voice_consent_routes  # audio: voice consents
from .webhooks import Announcer, Sender  # transports

__all__ = ["DEFAULT_MODELS", "FAULTS", "ModelInfo", "ServerConfig", "create_app"]

BAD_JSON = (
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP "
    "library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. "
    "If you have "
    "trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)"
)
NO_KEY = (
    "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer "
    "auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're "
    "accessing the API from your browser and are prompted for a username and password. You can obtain an API "
    "key from https://platform.openai.com/account/api-keys."
)

SERVER_ERROR = "The server had an error while processing your request. Sorry about that!"
# The one fine-tuned model a server holds (not listed: the listed set is what runs use): deletable once, so
# tests and SDKs can see a deletion answer. A run never deletes it: it names a model that does not exist.
FINE_TUNED = "ft:gpt-4o-mini:reference::demo"
# Every reference model's context (gpt-4o-mini's), in the server's tokens (words): longer prompts are refused.
CONTEXT_TOKENS = 128_000

Handler = Callable[[Request], Awaitable[Response]]


def mask_key(key: str) -> str:
    """`sk-ab***cd`: never the whole key, and nothing of a short one."""
    return f"{key[:5]}***{key[-2:]}" if len(key) >= 12 else "***"


class _Server:
    """The handlers, bound to one configuration."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.ids = Ids()
        self.store = responses.Store()
        self.chat_store = chat_store.ChatStore()
        self.files = files.FileStore(self.ids)
        self.vector_stores = VectorStores(self.ids, self.files, config)
        self.uploads = uploads.UploadStore()
        self.containers = Containers(self.ids, self.files, config)  # containers
        self.chatkit = ChatKit(self.ids, config)  # chatkit
        self.batches = batches.BatchStore()
        self.fine_tuned = {FINE_TUNED}
        # Images and Videos (media-visual)
        self.images = images.ImageStore()
        self.videos = videos.VideoStore(self.ids)
        self.organization = admin.Organization(self.ids)
        self.fine_tuning = FineTuning()  # fine-tuning
        self.evals = Evals()  # evals
        self.realtime = RealtimeCalls(self.ids)  # transports
        self.voice_consents = VoiceConsents(config)  # audio: voice consents
        self.graders = Graders()  # graders

    # --- plumbing -----------------------------------------------------------------------------------------

    def error(self, error: ApiError) -> Response:
        faults = self.config.faults
        status = error.status
        body: Any = error.envelope()
        if error.validation and status == 400 and "error-422" in faults:
            status = 422
            loc = [
                "body",
                *(error.param.replace("[", ".").replace("]", "").split(".") if error.param else []),
            ]
            body = {"detail": [{"type": "value_error", "loc": loc, "msg": error.message, "input": None}]}
        elif error.client and status == 400 and "error-500" in faults:
            status = 500
        if "error-flat" in faults:
            body = {
                "object": "error",
                "message": error.message,
                "type": "BadRequestError",
                "param": error.param,
                "code": status,
            }
        elif "error-string" in faults:
            body = {"error": error.message}
        elif "error-code-int" in faults and "error" in body:
            body["error"]["code"] = status
        return Response(chat.dumps(body), status_code=status, media_type="application/json")

    def guarded(self, handler: Callable[[Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
        """`handler` behind the key check, its ApiError answered as the API answers errors."""

        async def run(request: Request) -> Response:
            try:
                self.authenticate(request)
                return await handler(request)
            except ApiError as error:
                return self.error(error)

        return run

    def authenticate(self, request: Request) -> None:
        key = self.config.api_key
        if key is None or self.config.has("no-auth"):
            return
        header = request.headers.get("authorization", "")
        scheme, _, given = header.partition(" ")
        given = given.strip()
        if scheme.lower() != "bearer" or not given:
            raise ApiError(401, NO_KEY, client=False, validation=False)
        if given != key:
            raise ApiError(
                401,
                f"Incorrect API key provided: {mask_key(given)}. You can find your API key at "
                "https://platform.openai.com/account/api-keys.",
                code="invalid_api_key",
                client=False,
                validation=False,
            )

    async def json_body(self, request: Request) -> Any:
        raw = await request.body()
        try:
            return json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise invalid(BAD_JSON) from None

    # --- routes -------------------------------------------------------------------------------------------

    def model_object(self, model: ModelInfo) -> dict[str, Any]:
        key = "name" if self.config.has("models-name-not-id") else "id"
        out: dict[str, Any] = {
            key: model.id,
            "object": "model",
            "created": MODELS_CREATED,
            "owned_by": model.owned_by,
        }
        if self.config.has("models-no-created"):
            del out["created"]
        return out

    async def list_models(self, request: Request) -> Response:
        try:
            self.authenticate(request)
        except ApiError as error:
            return self.error(error)
        models = [] if self.config.has("models-empty") else self.config.models
        body = {"object": "list", "data": [self.model_object(m) for m in models]}
        return Response(chat.dumps(body), media_type="application/json")

    async def retrieve_model(self, request: Request) -> Response:
        try:
            self.authenticate(request)
            model_id = request.path_params["model_id"]
            model = self.config.model(model_id) or (ModelInfo(model_id) if model_id in self.fine_tuned else None)
            if request.method == "DELETE":
                if model_id in self.fine_tuned:
                    self.fine_tuned.discard(model_id)
                    return self._json({"id": model_id, "object": "model", "deleted": True})
                if model is not None:
                    raise base_model_not_deletable(model_id)
            if model is None:
                raise model_does_not_exist(model_id)
        except ApiError as error:
            return self.error(error)
        return Response(chat.dumps(self.model_object(model)), media_type="application/json")

    async def chat_completions(self, request: Request) -> Response:
        body: Any = None
        try:
            self.authenticate(request)
            if request.method == "GET":
                return self._json(chat_store.listing(dict(request.query_params), self.config, self.chat_store))
            body = await self.json_body(request)
            valid = chat.validate(body, self.config)
            if (tokens := chat.prompt_tokens(valid["messages"])) > CONTEXT_TOKENS:
                raise context_length_exceeded(CONTEXT_TOKENS, tokens)
            if self.config.has("server-error-sometimes") and any(
                isinstance(m, dict) and isinstance(m.get("content"), list) for m in valid["messages"]
            ):
                raise ApiError(500, SERVER_ERROR, type="server_error", client=False, validation=False)
            answered = chat.complete(valid, self.config, self.ids)
            if valid.get("store") is True and not isinstance(answered, StreamingResponse):
                chat_store.keep(valid, json.loads(bytes(answered.body)), self.config, self.chat_store)
            return answered
        except ApiError as error:
            if self.config.has("accept-anything") and error.status == 400:
                return chat.complete(self.anything("chat"), self.config, self.ids)
            if self.config.has("stream-error-200") and isinstance(body, dict) and body.get("stream") is True:
                return chat.error_stream(error)
            return self.error(error)

    async def chat_completion_resource(self, request: Request) -> Response:
        ident = request.path_params["completion_id"]
        try:
            self.authenticate(request)
            if request.method == "DELETE":
                return self._json(chat_store.delete(ident, self.config, self.chat_store))
            if request.method == "POST":
                body = await self.json_body(request)
                return self._json(chat_store.update(ident, body, self.config, self.chat_store))
            with self.chat_store.lock:
                return self._json(self.chat_store.get(ident).body)
        except ApiError as error:
            return self.error(error)

    async def chat_completion_messages(self, request: Request) -> Response:
        try:
            self.authenticate(request)
            ident, query = request.path_params["completion_id"], dict(request.query_params)
            return self._json(chat_store.messages(ident, query, self.config, self.chat_store))
        except ApiError as error:
            return self.error(error)

    async def create_completion(self, request: Request) -> Response:
        try:
            self.authenticate(request)
            body = await self.json_body(request)
            return completions.complete(completions.validate(body, self.config), self.config, self.ids)
        except ApiError as error:
            if self.config.has("accept-anything") and error.status == 400:
                return completions.complete(self.anything("completions"), self.config, self.ids)
            return self.error(error)

    async def create_moderation(self, request: Request) -> Response:
        try:
            self.authenticate(request)
            body = await self.json_body(request)
            return moderations.moderate(moderations.validate(body, self.config), self.config, self.ids)
        except ApiError as error:
            return self.error(error)

    async def create_embeddings(self, request: Request) -> Response:
        try:
            self.authenticate(request)
            body = await self.json_body(request)
            return embeddings.embed(embeddings.validate(body, self.config), self.config)
        except ApiError as error:
            if self.config.has("accept-anything") and error.status == 400:
                return embeddings.embed(self.anything("embeddings"), self.config)
            return self.error(error)

    # --- the Responses API and Conversations (responses.py) ---------------------------------------------------

    def _json(self, body: Any) -> Response:
        return Response(chat.dumps(body), media_type="application/json")

    async def create_response(self, request: Request) -> Response:
        try:
            self.authenticate(request)
            body = responses.validate(await self.json_body(request), self.config, self.store)
            created = responses.create(
                body, self.config, self.ids, self.store, file_search=self.vector_stores.search_for_tool
            )
        except ApiError as error:
            return self.error(error)
        if body.get("stream") is True:
            stream = responses.sse(responses.events(created, self.config), self.config)
            return StreamingResponse(stream, media_type="text/event-stream", headers={"cache-control": "no-cache"})
        return self._json(created.body)

    async def count_input_tokens(self, request: Request) -> Response:
        try:
            self.authenticate(request)
            body = await self.json_body(request)
            return self._json(responses.count_input_tokens(body, self.config, self.ids, self.store))
        except ApiError as error:
            return self.error(error)

    async def compact_response(self, request: Request) -> Response:
        try:
            self.authenticate(request)
            body = await self.json_body(request)
            return self._json(responses.compact(body, self.config, self.ids, self.store))
        except ApiError as error:
            return self.error(error)

    async def response_resource(self, request: Request) -> Response:
        ident = request.path_params["response_id"]
        try:
            self.authenticate(request)
            with self.store.lock:
                stored = self.store.response(ident)
                if request.method == "DELETE":
                    del self.store.responses[ident]
                    return self._json({"id": ident, "object": "response", "deleted": True})
                return self._json(stored.body)
        except ApiError as error:
            return self.error(error)

    async def cancel_response(self, request: Request) -> Response:
        try:
            self.authenticate(request)
            return self._json(responses.cancel(request.path_params["response_id"], self.store))
        except ApiError as error:
            return self.error(error)

    async def input_items(self, request: Request) -> Response:
        try:
            self.authenticate(request)
            with self.store.lock:
                stored = self.store.response(request.path_params["response_id"])
                return self._json(responses.page(stored.input_items, dict(request.query_params), self.config))
        except ApiError as error:
            return self.error(error)

    async def create_conversation(self, request: Request) -> Response:
        try:
            self.authenticate(request)
            raw = await request.body()
            body = await self.json_body(request) if raw.strip() else {}
            return self._json(responses.create_conversation(body, self.ids, self.store))
        except ApiError as error:
            return self.error(error)

    async def conversation_resource(self, request: Request) -> Response:
        ident = request.path_params["conversation_id"]
        try:
            self.authenticate(request)
            body = await self.json_body(request) if request.method == "POST" else None
            with self.store.lock:
                conversation = self.store.conversation(ident)
                if request.method == "DELETE":
                    del self.store.conversations[ident]
                    return self._json({"id": ident, "object": "conversation.deleted", "deleted": True})
                if request.method == "POST":
                    return self._json(responses.update_conversation(conversation, body))
                return self._json(conversation.body)
        except ApiError as error:
            return self.error(error)

    async def conversation_items(self, request: Request) -> Response:
        try:
            self.authenticate(request)
            body = await self.json_body(request) if request.method == "POST" else None
            with self.store.lock:
                conversation = self.store.conversation(request.path_params["conversation_id"])
                if request.method == "POST":
                    return self._json(responses.add_items(conversation, body, self.ids))
                return self._json(responses.page(conversation.items, dict(request.query_params), self.config))
        except ApiError as error:
            return self.error(error)

    async def conversation_item(self, request: Request) -> Response:
        item_id = request.path_params["item_id"]
        try:
            self.authenticate(request)
            with self.store.lock:
                conversation = self.store.conversation(request.path_params["conversation_id"])
                item = next((i for i in conversation.items if i.get("id") == item_id), None)
                if item is None:
                    raise responses.not_found("Item", item_id)
                if request.method == "DELETE":
                    conversation.items.remove(item)
                    return self._json(conversation.body)
                return self._json(item)
        except ApiError as error:
            return self.error(error)

    def anything(self, kind: str) -> dict[str, Any]:
        """The request the `accept-anything` fault answers instead of the one it was sent."""
        model = next(m.id for m in self.config.models if m.kind == ("chat" if kind == "completions" else kind))
        if kind == "chat":
            return {"model": model, "messages": [{"role": "user", "content": "OK"}]}
        if kind == "completions":
            return {"model": model, "prompt": "OK"}
        return {"model": model, "input": "OK"}

    async def not_found(self, request: Request, exc: Exception) -> Response:
        if self.config.has("unknown-route-200"):
            return Response(b"{}", media_type="application/json")
        return self.error(
            ApiError(404, f"Invalid URL ({request.method} {request.url.path})", client=False, validation=False)
        )


class _RequestId:
    """Pure ASGI middleware: every answer carries `x-request-id`, the client's own when it sent one."""

    def __init__(self, app: ASGIApp, ids: Ids) -> None:
        self.app = app
        self.ids = ids

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v for k, v in scope["headers"] if k == b"x-request-id"), None)
        request_id = given if given else self.ids.request().encode()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k != b"x-request-id"]
                headers.append((b"x-request-id", request_id))
                headers.append((b"openai-version", b"2020-10-01"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_id)


def create_app(config: ServerConfig | None = None) -> Starlette:
    """The reference server as an ASGI app (Starlette), configured once."""
    config = config if config is not None else ServerConfig()
    server = _Server(config)
    routes = [
        Route("/v1/models", server.list_models, methods=["GET"]),
        Route("/v1/models/{model_id:path}", server.retrieve_model, methods=["GET", "DELETE"]),
        Route("/v1/chat/completions", server.chat_completions, methods=["GET", "POST"]),
        Route(
            "/v1/chat/completions/{completion_id}",
            server.chat_completion_resource,
            methods=["GET", "POST", "DELETE"],
        ),
        Route("/v1/chat/completions/{completion_id}/messages", server.chat_completion_messages, methods=["GET"]),
        Route("/v1/completions", server.create_completion, methods=["POST"]),
        Route("/v1/embeddings", server.create_embeddings, methods=["POST"]),
        Route("/v1/moderations", server.create_moderation, methods=["POST"]),
        Route("/v1/responses", server.create_response, methods=["POST"]),
        # Before /v1/responses/{response_id}: these two names are operations, not response ids.
        Route("/v1/responses/input_tokens", server.count_input_tokens, methods=["POST"]),
        Route("/v1/responses/compact", server.compact_response, methods=["POST"]),
        Route("/v1/responses/{response_id}", server.response_resource, methods=["GET", "DELETE"]),
        Route("/v1/responses/{response_id}/cancel", server.cancel_response, methods=["POST"]),
        Route("/v1/responses/{response_id}/input_items", server.input_items, methods=["GET"]),
        Route("/v1/conversations", server.create_conversation, methods=["POST"]),
        Route("/v1/conversations/{conversation_id}", server.conversation_resource, methods=["GET", "POST", "DELETE"]),
        Route("/v1/conversations/{conversation_id}/items", server.conversation_items, methods=["GET", "POST"]),
        Route(
            "/v1/conversations/{conversation_id}/items/{item_id}",
            server.conversation_item,
            methods=["GET", "DELETE"],
        ),
        *files.routes(server),
        *uploads.routes(server),
        *vector_store_routes(server),
        *batches.routes(server),
        *assistants.routes(server),  # assistants
        # Images and Videos (media-visual)
        *images.routes(server),
        *videos.routes(server),
        # audio
        *audio.routes(server),
        *container_routes(server),  # containers
        *chatkit_routes(server),  # chatkit
        # administration API (admin.py): the organization, its audit log and usage, behind the admin key
        *admin.routes(server, server.organization),
        *fine_tuning_routes(server),  # fine-tuning
        *evals_routes(server),  # evals
        # transports
        *realtime_routes(server),
        realtime_session_route(config, server.ids, server.realtime),
        responses_socket_route(config, server.ids, server.store),
        *voice_consent_routes(server),  # audio: voice consents (read only)
        *graders_routes(server),  # graders
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={404: server.not_found, 405: server.not_found},
    )
    app.add_middleware(_RequestId, ids=server.ids)
    app.state.config = config
    app.state.store = server.store
    app.state.chat_store = server.chat_store
    app.state.files = server.files
    app.state.vector_stores = server.vector_stores
    app.state.batches = server.batches
    app.state.containers = server.containers  # containers
    app.state.chatkit = server.chatkit  # chatkit
    app.state.fine_tuning = server.fine_tuning  # fine-tuning
    app.state.evals = server.evals  # evals
    app.state.realtime = server.realtime  # transports
    app.state.graders = server.graders  # graders
    if config.webhook_url is not None:  # transports: webhooks for what ends, and for SIP calls ringing
        sender = Sender(config, server.ids)
        server.realtime.announce = sender.send
        app.add_middleware(Announcer, sender=sender)
    return app
