"""Decorators that record a function call as a step span: `tool`, `action`, `agent` (AgentOps spells the
first two `record_tool` and `record_action`; both names work).

They work on functions, methods, async functions, generators and async generators; wrapt keeps
signatures, docstrings and `inspect` behaviour. Arguments and return value are captured as JSON
(content capture on), an exception marks the step's own span failed and is re-raised unchanged.
With nothing recording (no init(), no SDK provider) the call goes straight through.

While `playback(tools=True)` runs, `_step_answer` is set: a tool or action call (never an agent) is
then answered by the recorded call instead of running the function; the step span is recorded as usual.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from functools import partial
from typing import Any

import wrapt
from opentelemetry import context as otel_context
from opentelemetry import trace

from .. import _tool_calls as tool_calls
from .. import semconv as sc
from .._internal import internal_error
from ._generators import Scope, drive, drive_async
from ._spans import content_attributes, record_error, set_content, tracer

# Set by playback(tools=True): (step kind, step name, arguments as recorded, shape of the function)
# -> a stand-in for the function that gives the recorded answer, or None to run the function itself.
# Shapes: "call", "async", "generator", "async_generator". One module-level check keeps the normal path fast.
StepAnswer = Callable[[str, str, dict[str, Any], str], Callable[..., Any] | None]
_step_answer: StepAnswer | None = None


class _StepKind:
    """How one kind of step names its span and where its inputs and outputs go."""

    def __init__(
        self,
        span_type: str,
        span_prefix: str,
        operation: str | None,
        name_key: str | None,
        params_key: str,
        returns_key: str,
    ) -> None:
        self.span_type, self.span_prefix, self.operation = span_type, span_prefix, operation
        self.name_key, self.params_key, self.returns_key = name_key, params_key, returns_key

    def start_attributes(self, name: str) -> dict[str, Any]:
        attrs: dict[str, Any] = {sc.AGENTOPS_SPAN_TYPE: str(self.span_type)}
        if self.operation:
            attrs[sc.GEN_AI_OPERATION_NAME] = str(self.operation)
        if self.name_key:
            attrs[self.name_key] = name
        return attrs


_ACTION = _StepKind(
    sc.SpanTypeValues.ACTION,
    "",
    None,
    sc.AGENTOPS_ACTION_TYPE,
    sc.AGENTOPS_STEP_PARAMS,
    sc.AGENTOPS_STEP_RETURNS,
)
_TOOL = _StepKind(
    sc.SpanTypeValues.TOOL,
    "execute_tool ",
    sc.GenAiOperationNameValues.EXECUTE_TOOL,
    sc.GEN_AI_TOOL_NAME,
    sc.GEN_AI_TOOL_CALL_ARGUMENTS,
    sc.GEN_AI_TOOL_CALL_RESULT,
)
_AGENT = _StepKind(
    sc.SpanTypeValues.AGENT,
    "invoke_agent ",
    sc.GenAiOperationNameValues.INVOKE_AGENT,
    sc.GEN_AI_AGENT_NAME,
    sc.AGENTOPS_STEP_PARAMS,
    sc.AGENTOPS_STEP_RETURNS,
)


def _bound_arguments(
    signatures: dict[bool, inspect.Signature | None],
    wrapped: Any,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> dict[str, Any]:
    bound_method = hasattr(wrapped, "__self__")  # wrapt hands bound methods without `self` in args
    if bound_method not in signatures:  # inspect.signature is slow: once per function and form
        try:
            signatures[bound_method] = inspect.signature(wrapped)
        except (TypeError, ValueError):
            signatures[bound_method] = None
    signature = signatures[bound_method]
    try:
        if signature is None:
            raise TypeError
        return dict(signature.bind_partial(*args, **kwargs).arguments)
    except TypeError:  # the call will fail the same way in the function itself
        return {"args": list(args), "kwargs": kwargs}


def _tool_call_id(name: str, bound: dict[str, Any]) -> str | None:
    """The caller's own `tool_call_id` argument, else the id of the model's call this tool answers."""
    given = bound.get("tool_call_id")
    if isinstance(given, str) and given:
        return given
    return tool_calls.claim(name, bound)


def _step_decorator(kind: _StepKind, name: str | None) -> Callable[[Any], Any]:
    def decorate(func: Any) -> Any:
        step_name = str(name or getattr(func, "__name__", "step"))
        span_name = kind.span_prefix + step_name
        static = kind.start_attributes(step_name)
        is_gen = inspect.isgeneratorfunction(func)
        is_async_gen = inspect.isasyncgenfunction(func)
        is_async = inspect.iscoroutinefunction(func)
        shape = "generator" if is_gen else "async_generator" if is_async_gen else "async" if is_async else "call"
        answerable = kind is not _AGENT  # agents are the code under playback, never answered
        signatures: dict[bool, inspect.Signature | None] = {}

        def recorded_answer(wrapped: Any, args: Any, kwargs: Any) -> Any:
            """What runs in place of `wrapped` under playback: the recorded answer, or `wrapped` itself."""
            if not answerable or _step_answer is None:
                return wrapped
            params = _bound_arguments(signatures, wrapped, args, kwargs)
            return _step_answer(kind.span_type, step_name, params, shape) or wrapped

        def start(wrapped: Any, args: Any, kwargs: Any, run: Any) -> tuple[Any, Any]:
            """The step's span and its context; (None, None) when nothing records (or on a bug of ours)."""
            try:
                tr = tracer()
                if tr is None:
                    return None, None
                parent = trace.get_current_span().get_span_context()
                if parent.is_valid and not parent.trace_flags.sampled:
                    return None, None  # inside a sampled-out session: no span, and no content work
                attrs = dict(static)
                bound = _bound_arguments(signatures, wrapped, args, kwargs)
                content_attributes(kind.params_key, bound, attrs)
                if kind is _TOOL:
                    call_id = _tool_call_id(step_name, bound)
                    if call_id:
                        attrs[sc.GEN_AI_TOOL_CALL_ID] = call_id
                if run is not wrapped:
                    attrs[sc.AGENTOPS_PLAYBACK_ANSWERED] = True
                span = tr.start_span(span_name, attributes=attrs)
                return span, trace.set_span_in_context(span)
            except Exception:
                internal_error(f"start the span of {span_name!r} (the call runs untraced)")
                return None, None

        def finish(span: Any, result: Any) -> None:
            try:
                set_content(span, kind.returns_key, result)
            except Exception:
                internal_error(f"record what {span_name!r} returned")
            finally:
                span.end()

        def fail(span: Any, exc: BaseException, yielded: list[Any] | None = None) -> None:
            try:
                if yielded:  # a generator's items before it failed: playback yields them again
                    set_content(span, kind.returns_key, yielded)
                record_error(span, exc)
            except Exception:
                internal_error(f"record the error of {span_name!r}")
            finally:
                span.end()

        def scope(span: Any, ctx: Any) -> Scope:
            return Scope(
                partial(otel_context.attach, ctx), otel_context.detach, partial(finish, span), partial(fail, span)
            )

        @wrapt.decorator
        def call(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
            run = wrapped if _step_answer is None else recorded_answer(wrapped, args, kwargs)
            span, ctx = start(wrapped, args, kwargs, run)
            if span is None:
                return run(*args, **kwargs)
            token = otel_context.attach(ctx)
            try:
                result = run(*args, **kwargs)
            except BaseException as exc:
                fail(span, exc)
                raise
            finally:
                otel_context.detach(token)
            finish(span, result)
            return result

        @wrapt.decorator
        def call_async(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
            async def traced() -> Any:
                run = wrapped if _step_answer is None else recorded_answer(wrapped, args, kwargs)
                span, ctx = start(wrapped, args, kwargs, run)
                if span is None:
                    return await run(*args, **kwargs)
                token = otel_context.attach(ctx)
                try:
                    result = await run(*args, **kwargs)
                except BaseException as exc:
                    fail(span, exc)
                    raise
                finally:
                    otel_context.detach(token)
                finish(span, result)
                return result

            return traced()

        @wrapt.decorator
        def call_gen(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
            run = wrapped if _step_answer is None else recorded_answer(wrapped, args, kwargs)
            span, ctx = start(wrapped, args, kwargs, run)
            if span is None:
                return run(*args, **kwargs)
            return drive(run(*args, **kwargs), scope(span, ctx))

        @wrapt.decorator
        def call_async_gen(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
            run = wrapped if _step_answer is None else recorded_answer(wrapped, args, kwargs)
            span, ctx = start(wrapped, args, kwargs, run)
            if span is None:
                return run(*args, **kwargs)
            return drive_async(run(*args, **kwargs), scope(span, ctx))

        wrapper = call_gen if is_gen else call_async_gen if is_async_gen else call_async if is_async else call
        return wrapper(func)

    return decorate


def _named(kind: _StepKind, name_or_func: Any) -> Any:
    """Support both `@record_tool("name")` and bare `@record_tool`."""
    if callable(name_or_func):
        return _step_decorator(kind, None)(name_or_func)
    return _step_decorator(kind, name_or_func)


def record_action(action_type: Any = None) -> Any:
    """Record each call as an action step: `@record_action("fetch_customer_data")`."""
    return _named(_ACTION, action_type)


def record_tool(name: Any = None) -> Any:
    """Record each call as a tool call (`execute_tool {name}`): `@record_tool("search")`."""
    return _named(_TOOL, name)


tool = record_tool
action = record_action


def agent(name: Any = None) -> Any:
    """Record each call as an agent invocation (`invoke_agent {name}`): `@agent("planner")`."""
    return _named(_AGENT, name)
