"""The one exception the reference server's handlers raise: an OpenAI error answer, as data."""

from __future__ import annotations


class ApiError(Exception):
    """An error answer: HTTP status and the four fields of the OpenAI error envelope.

    `client` says whether the client caused it (validation, unknown model, bad JSON): the faults that mangle
    client-error answers (`error-422`, `error-500`) only touch those.
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
        client: bool = True,
        validation: bool = True,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.client = client
        self.validation = validation

    def envelope(self) -> dict[str, dict[str, str | None]]:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}


def invalid(message: str, param: str | None = None, code: str | None = None) -> ApiError:
    """A 400 `invalid_request_error` about the request body."""
    return ApiError(400, message, param=param, code=code)


def model_not_found(model: str) -> ApiError:
    return ApiError(
        404,
        f"The model `{model}` does not exist or you do not have access to it.",
        code="model_not_found",
        validation=False,
    )


def model_does_not_exist(model: str) -> ApiError:
    """GET or DELETE /models/{model} of a model the server does not hold: the real API's retrieve answer."""
    return ApiError(
        404, f"The model '{model}' does not exist", param="model", code="model_not_found", validation=False
    )


def base_model_not_deletable(model: str) -> ApiError:
    """DELETE /models/{model} of a model the server serves but did not fine-tune. No source records the real
    API's words (schemas/DECISIONS.md: model-delete-errors): a 403 permission refusal, shaped as its others."""
    return ApiError(
        403,
        f"You have insufficient permissions for this operation: '{model}' is a base model, and only "
        "fine-tuned models can be deleted.",
        param="model",
        validation=False,
    )


def context_length_exceeded(limit: int, tokens: int) -> ApiError:
    """A prompt longer than the model's context, refused before any generation (as the real API does)."""
    return ApiError(
        400,
        f"This model's maximum context length is {limit} tokens. However, your messages resulted in {tokens} "
        "tokens. Please reduce the length of the messages.",
        param="messages",
        code="context_length_exceeded",
    )
