"""Wire shapes of the HTTP server, the hooks and the MCP tool (pydantic models, published as JSON Schema)."""

from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from router.core.metadata import ModelMetadata
from router.serving.hook import EVENT


class CriterionOut(BaseModel):
    """A matched criterion of the agent, with its one-vs-rest score."""

    id: str
    title: str
    score: float


class DecisionOut(BaseModel):
    """One routing decision: the fields of `Decision.to_dict()` (fields added later pass through)."""

    model_config = ConfigDict(extra="allow")

    agent: str
    delegate: bool
    probability: float
    threshold: float
    uncertain: bool
    criteria: list[CriterionOut]
    model_version: str


class RouteRequest(BaseModel):
    """One text, or a list of texts routed in one batch."""

    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(None, description="One request to route.")
    texts: list[str] | None = Field(None, description="Several requests, routed in one batch, in order.")

    @model_validator(mode="after")
    def _one_of(self) -> Self:
        if (self.text is None) == (self.texts is None):
            raise ValueError("give exactly one of 'text' or 'texts'")
        return self


class ItemError(BaseModel):
    """Why one text of a batch was not routed (the others were)."""

    error: str


class DecisionsOut(BaseModel):
    """One entry per text of `texts`, in the same order: its decision, or `{"error": ...}` for a refused text."""

    decisions: list[DecisionOut | ItemError]


class ModelInfo(BaseModel):
    """What the served model is."""

    agent: str
    model_version: str
    threshold: float
    abstain_band: dict[str, Any]
    criteria: list[dict[str, Any]]
    encoder: Any

    @classmethod
    def of(cls, metadata: ModelMetadata) -> "ModelInfo":
        """The info of a loaded model."""
        return cls.model_validate({k: v for k, v in metadata.to_dict().items() if k in cls.model_fields})


class Health(BaseModel):
    """Liveness, and whether the model is loaded."""

    status: str
    model_loaded: bool


class UserPromptSubmitEvent(BaseModel):
    """Claude Code's UserPromptSubmit hook input; unknown fields are ignored."""

    model_config = ConfigDict(extra="allow")

    session_id: str | None = None
    transcript_path: str | None = None
    cwd: str | None = None
    permission_mode: str | None = None
    hook_event_name: str = EVENT
    prompt: str


class HookSpecificOutput(BaseModel):
    """The UserPromptSubmit part of a hook answer."""

    model_config = ConfigDict(populate_by_name=True)

    hook_event_name: str = Field(EVENT, alias="hookEventName")
    additional_context: str = Field(alias="additionalContext")


class HookAnswer(BaseModel):
    """Claude Code hook output: `hookSpecificOutput` when the request should be delegated, else `{}`."""

    model_config = ConfigDict(populate_by_name=True)

    hook_specific_output: HookSpecificOutput | None = Field(None, alias="hookSpecificOutput")
