"""Wire shapes shared by the HTTP server and the MCP tool (pydantic models, published as JSON Schema)."""

from pydantic import BaseModel, ConfigDict


class Criterion(BaseModel):
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
    criteria: list[Criterion]
    model_version: str
