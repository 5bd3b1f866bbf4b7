"""Dynamic batching: concurrent requests' texts go through one `route_batch` call, off the event loop.

The encoder costs far less per text in a batch than one text at a time, so under concurrency the server
collects what is waiting into one call (as Triton's dynamic batcher, Ray Serve's `@serve.batch` and TEI's
token-budget batching do). A request that arrives when nothing is waiting is routed at once, so a single
client waits for nothing. Each request keeps its own texts, its own decisions (in order) and its own
error; the encoder runs in a worker thread, so the event loop (and `/healthz`) stays responsive.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from router.core.decision import Decision
from router.core.texts import check_texts
from router.errors import RouterError

RouteBatch = Callable[[Sequence[str]], list[Decision]]
#: The encoder reads at most this many tokens of a text.
MAX_TEXT_TOKENS = 256


class OverloadedError(RouterError):
    """The batch queue is full: the server answers 503 rather than queue without bound."""


def estimate_tokens(text: str) -> int:
    """A cheap token count (about 4 characters a token), capped at what the encoder reads."""
    return min(MAX_TEXT_TOKENS, 2 + len(text) // 4)


@dataclass
class _Request:
    texts: list[str]
    tokens: int
    future: asyncio.Future[list[Decision]]


class DirectRouting:
    """No batching: each request is one `route_batch` call in a worker thread."""

    def __init__(self, route_batch: RouteBatch) -> None:
        self.route_batch = route_batch

    async def submit(self, texts: Sequence[str]) -> list[Decision]:
        """Route one request's texts."""
        return await asyncio.to_thread(self.route_batch, check_texts(texts))

    async def close(self) -> None:
        """Nothing to stop."""


class Batcher:
    """Collect waiting requests into one `route_batch` call, within caps on texts, tokens and waiting."""

    def __init__(
        self,
        route_batch: RouteBatch,
        max_texts: int = 64,
        max_tokens: int = 8192,
        max_wait: float = 0.005,
        max_queue: int = 1024,
    ) -> None:
        self.route_batch = route_batch
        self.max_texts = max_texts
        self.max_tokens = max_tokens
        self.max_wait = max_wait
        self.max_queue = max_queue
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: asyncio.Queue[_Request] | None = None
        self._held: _Request | None = None
        self._task: asyncio.Task[None] | None = None
        self._busy = False  # the last batch held more than one request: others are likely on their way

    def _ensure_worker(self) -> asyncio.Queue[_Request]:
        loop = asyncio.get_running_loop()
        if self._loop is not loop or self._queue is None or self._task is None or self._task.done():
            self._loop, self._queue, self._held = loop, asyncio.Queue(), None
            self._task = loop.create_task(self._work(self._queue))
        return self._queue

    async def submit(self, texts: Sequence[str]) -> list[Decision]:
        """Route one request's texts (checked here, so a bad request fails alone) with whatever else waits."""
        items = check_texts(texts)
        if not items:
            return []
        queue = self._ensure_worker()
        if queue.qsize() >= self.max_queue:
            raise OverloadedError(f"{queue.qsize()} requests already waiting")
        future: asyncio.Future[list[Decision]] = asyncio.get_running_loop().create_future()
        queue.put_nowait(_Request(items, sum(map(estimate_tokens, items)), future))
        return await future

    async def close(self) -> None:
        """Stop the worker; called at shutdown, once the server has finished its requests (none is left waiting)."""
        if self._task is not None:
            self._task.cancel()

    async def _straggler(self, queue: asyncio.Queue[_Request], timeout: float) -> _Request | None:
        """The next waiting request if one arrives within `timeout` seconds, else None."""
        try:
            return queue.get_nowait() if timeout <= 0 else await asyncio.wait_for(queue.get(), timeout)
        except (asyncio.QueueEmpty, TimeoutError):
            return None

    async def _gather(self, queue: asyncio.Queue[_Request]) -> list[_Request]:
        """The next batch: the first waiting request, then whatever fits and arrives within the wait."""
        first, self._held = self._held or await queue.get(), None
        batch, texts, tokens = [first], len(first.texts), first.tokens
        # Wait for stragglers only under concurrency (others already waiting, or the last batch was shared):
        # a lone client's request goes at once.
        waiting = not queue.empty() or self._busy
        deadline = asyncio.get_running_loop().time() + (self.max_wait if waiting else 0.0)
        while True:
            request = await self._straggler(queue, deadline - asyncio.get_running_loop().time())
            if request is None:
                return batch
            if texts + len(request.texts) > self.max_texts or tokens + request.tokens > self.max_tokens:
                self._held = request
                return batch
            batch.append(request)
            texts, tokens = texts + len(request.texts), tokens + request.tokens

    async def _work(self, queue: asyncio.Queue[_Request]) -> None:
        while True:
            batch = await self._gather(queue)
            self._busy = len(batch) > 1
            texts = [text for request in batch for text in request.texts]
            try:
                decisions = await asyncio.to_thread(self.route_batch, texts)
            except Exception as err:
                for request in batch:
                    if not request.future.done():
                        request.future.set_exception(err)
                continue
            start = 0
            for request in batch:
                if not request.future.done():
                    request.future.set_result(decisions[start : start + len(request.texts)])
                start += len(request.texts)
