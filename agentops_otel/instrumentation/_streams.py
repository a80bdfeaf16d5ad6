"""Stream proxies: the span of a streamed call ends when the stream ends, exactly once.

A proxy passes every item, attribute and context-manager call through to the client's own stream
object (so types, iteration and `with` behave as before) and ends the span on whichever comes first:
the last item, an error while reading, `close()`, leaving `with` (a user exception inside it is recorded),
or garbage collection of a stream that was abandoned after `break`.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, Protocol

import wrapt

from .._internal import guarded, internal_error
from ._call import LLMCall, Outcome

_log = logging.getLogger("agentops_otel.instrumentation")

# Streams opened while a stream-helper manager (`client.chat.completions.stream(...)`) enters, so
# that leaving the manager's `with` ends their spans: the helper closes the HTTP response itself.
_opening_streams: contextvars.ContextVar[list[_Ending] | None] = contextvars.ContextVar(
    "agentops_otel_opening_streams", default=None
)


class Accumulator(Protocol):
    """Collects a stream's items into the Outcome of the call. One that has seen the provider's last
    event (Anthropic's `message_stop`, the Responses API's `response.completed`) says so with a true
    `complete` attribute: the span ends there, also when the caller breaks out of the loop at that event,
    as AgentOps' examples do."""

    def add(self, item: Any) -> None: ...

    def outcome(self) -> Outcome: ...


class _Ending(wrapt.ObjectProxy):  # type: ignore[misc]
    """Shared ending logic; subclasses say how the outcome is read."""

    _self_call: LLMCall | None = None

    def _self_outcome(self) -> Outcome | None:
        raise NotImplementedError

    def _self_end(self, error: BaseException | None = None) -> None:
        call = self._self_call
        if call is None or call.ended:
            return
        outcome = guarded("read a stream's result", self._self_outcome, None)
        if error is None or isinstance(error, StopIteration | StopAsyncIteration | GeneratorExit):
            call.finish(outcome)
        else:
            call.fail(error, outcome)

    def __del__(self) -> None:  # a stream abandoned after `break`, never closed
        self._self_end()

    # Context managers: the client's streams return themselves from __enter__.
    def __enter__(self) -> Any:
        self.__wrapped__.__enter__()
        return self

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> Any:
        try:
            return self.__wrapped__.__exit__(exc_type, exc, tb)
        finally:
            self._self_end(exc)

    async def __aenter__(self) -> Any:
        await self.__wrapped__.__aenter__()
        return self

    async def __aexit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> Any:
        try:
            return await self.__wrapped__.__aexit__(exc_type, exc, tb)
        finally:
            self._self_end(exc)


class _Iterating(_Ending):
    """Sync and async iteration that notices the first item, each item, the end and errors."""

    def _self_seen(self, item: Any) -> None:
        if self._self_call is not None:
            self._self_call.first_chunk()

    def __iter__(self) -> Iterator[Any]:
        return self  # type: ignore[return-value]

    def __next__(self) -> Any:
        try:
            item = next(self.__wrapped__)
        except BaseException as exc:
            self._self_end(exc)
            raise
        self._self_seen(item)
        return item

    def __aiter__(self) -> AsyncIterator[Any]:
        return self  # type: ignore[return-value]

    async def __anext__(self) -> Any:
        try:
            item = await self.__wrapped__.__anext__()
        except BaseException as exc:
            self._self_end(exc)
            raise
        self._self_seen(item)
        return item


class StreamProxy(_Iterating):
    """A raw SSE stream (`create(stream=True)`): items feed an accumulator."""

    def __init__(self, stream: Any, call: LLMCall, accumulator: Accumulator) -> None:
        super().__init__(stream)
        self._self_call = call
        self._self_accumulator = accumulator
        opening = _opening_streams.get()
        if opening is not None:
            opening.append(self)

    def _self_seen(self, item: Any) -> None:
        self._self_call.first_chunk()  # type: ignore[union-attr]
        try:
            self._self_accumulator.add(item)
        except Exception:  # a chunk we cannot read must not stop the stream
            internal_error("read a stream item", _log)
        if getattr(self._self_accumulator, "complete", False):
            self._self_end()

    def _self_outcome(self) -> Outcome | None:
        return self._self_accumulator.outcome()

    def close(self) -> Any:
        try:
            return self.__wrapped__.close()
        finally:
            self._self_end()


class AsyncStreamProxy(StreamProxy):
    async def close(self) -> Any:  # type: ignore[override]
        try:
            return await self.__wrapped__.close()
        finally:
            self._self_end()


class HelperManagerProxy(wrapt.ObjectProxy):  # type: ignore[misc]
    """A stream-helper manager whose request goes through a wrapped `create`: leaving `with` ends it."""

    def __init__(self, manager: Any) -> None:
        super().__init__(manager)
        self._self_streams: list[_Ending] = []

    def _self_enter(self, enter: Callable[[], Any]) -> Any:
        token = _opening_streams.set([])
        try:
            return enter()
        finally:
            self._self_streams = _opening_streams.get() or []
            _opening_streams.reset(token)

    def _self_exit(self, exc: BaseException | None) -> None:
        for stream in self._self_streams:
            stream._self_end(exc)

    def __enter__(self) -> Any:
        return self._self_enter(self.__wrapped__.__enter__)

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> Any:
        try:
            return self.__wrapped__.__exit__(exc_type, exc, tb)
        finally:
            self._self_exit(exc)

    async def __aenter__(self) -> Any:
        token = _opening_streams.set([])
        try:
            return await self.__wrapped__.__aenter__()
        finally:
            self._self_streams = _opening_streams.get() or []
            _opening_streams.reset(token)

    async def __aexit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> Any:
        try:
            return await self.__wrapped__.__aexit__(exc_type, exc, tb)
        finally:
            self._self_exit(exc)


class SnapshotStreamProxy(_Iterating):
    """A helper stream that keeps its own snapshot of the response (Anthropic's MessageStream).

    Every way of reading it (iteration, `text_stream`, `until_done()`, `get_final_*()`) ends the span
    when the stream is done; the outcome is read from the snapshot.
    """

    def __init__(self, stream: Any, call: LLMCall, outcome_of: Callable[[Any], Outcome]) -> None:
        super().__init__(stream)
        self._self_call = call
        self._self_outcome_of = outcome_of
        self._self_text_stream: Any = None

    def _self_outcome(self) -> Outcome | None:
        try:
            snapshot = self.__wrapped__.current_message_snapshot
        except AssertionError:  # no message_start yet
            return None
        return self._self_outcome_of(snapshot)

    def _self_consume(self, method: str, *args: Any, **kwargs: Any) -> Any:
        try:
            result = getattr(self.__wrapped__, method)(*args, **kwargs)
        except BaseException as exc:
            self._self_end(exc)
            raise
        self._self_end()
        return result

    def until_done(self) -> Any:
        return self._self_consume("until_done")

    def get_final_message(self) -> Any:
        return self._self_consume("get_final_message")

    def get_final_text(self) -> Any:
        return self._self_consume("get_final_text")

    def close(self) -> Any:
        try:
            return self.__wrapped__.close()
        finally:
            self._self_end()

    @property
    def text_stream(self) -> Iterator[str]:
        if self._self_text_stream is None:
            self._self_text_stream = self._self_texts(self.__wrapped__.text_stream)
        return self._self_text_stream  # type: ignore[no-any-return]

    def _self_texts(self, texts: Iterator[str]) -> Iterator[str]:
        try:
            for text in texts:
                if self._self_call is not None:
                    self._self_call.first_chunk()
                yield text
        except BaseException as exc:
            self._self_end(exc)
            raise
        self._self_end()


class AsyncSnapshotStreamProxy(SnapshotStreamProxy):
    async def _self_consume_async(self, method: str) -> Any:
        try:
            result = await getattr(self.__wrapped__, method)()
        except BaseException as exc:
            self._self_end(exc)
            raise
        self._self_end()
        return result

    async def until_done(self) -> Any:  # type: ignore[override]
        return await self._self_consume_async("until_done")

    async def get_final_message(self) -> Any:  # type: ignore[override]
        return await self._self_consume_async("get_final_message")

    async def get_final_text(self) -> Any:  # type: ignore[override]
        return await self._self_consume_async("get_final_text")

    async def close(self) -> Any:  # type: ignore[override]
        try:
            return await self.__wrapped__.close()
        finally:
            self._self_end()

    @property
    def text_stream(self) -> Any:  # type: ignore[override]
        if self._self_text_stream is None:
            self._self_text_stream = self._self_async_texts(self.__wrapped__.text_stream)
        return self._self_text_stream

    async def _self_async_texts(self, texts: AsyncIterator[str]) -> AsyncIterator[str]:
        try:
            async for text in texts:
                if self._self_call is not None:
                    self._self_call.first_chunk()
                yield text
        except BaseException as exc:
            self._self_end(exc)
            raise
        self._self_end()


class StartingManagerProxy(wrapt.ObjectProxy):  # type: ignore[misc]
    """A stream-helper manager that sends its request on enter: the span starts and ends with `with`."""

    stream_proxy: type[SnapshotStreamProxy] = SnapshotStreamProxy

    def __init__(self, manager: Any, start: Callable[[], LLMCall | None], outcome_of: Callable[[Any], Outcome]) -> None:
        super().__init__(manager)
        self._self_start = start
        self._self_outcome_of = outcome_of
        self._self_stream: SnapshotStreamProxy | None = None

    def _self_opened(self, call: LLMCall, stream: Any) -> Any:
        self._self_stream = self.stream_proxy(stream, call, self._self_outcome_of)
        return self._self_stream

    def _self_closed(self, exc: BaseException | None) -> None:
        if self._self_stream is not None:
            self._self_stream._self_end(exc)

    def __enter__(self) -> Any:
        call = self._self_start()
        if call is None:
            return self.__wrapped__.__enter__()
        try:
            with call.activated():
                stream = self.__wrapped__.__enter__()
        except BaseException as exc:
            call.fail(exc)
            raise
        return self._self_opened(call, stream)

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> Any:
        try:
            return self.__wrapped__.__exit__(exc_type, exc, tb)
        finally:
            self._self_closed(exc)


class AsyncStartingManagerProxy(StartingManagerProxy):
    stream_proxy = AsyncSnapshotStreamProxy

    async def __aenter__(self) -> Any:
        call = self._self_start()
        if call is None:
            return await self.__wrapped__.__aenter__()
        try:
            with call.activated():
                stream = await self.__wrapped__.__aenter__()
        except BaseException as exc:
            call.fail(exc)
            raise
        return self._self_opened(call, stream)

    async def __aexit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> Any:
        try:
            return await self.__wrapped__.__aexit__(exc_type, exc, tb)
        finally:
            self._self_closed(exc)
