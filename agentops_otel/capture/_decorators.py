"""The step decorators' machinery: a function call recorded as a step span (tool, action, agent,
workflow, guardrail). The decorators users call (`tool`, `action`, `agent`, AgentOps' `record_tool`,
`task`, `operation`, `guardrail`, ...) are in `_entities`.

They work on functions, methods, async functions, generators and async generators; wrapt keeps
signatures, docstrings and `inspect` behaviour. Arguments and return value are captured as JSON
(content capture on), an exception marks the step's own span failed and is re-raised unchanged.
With nothing recording (no init(), no SDK provider) the call goes straight through. As in AgentOps, a
call given `session=<a session handle>` (and not taking a `session` argument itself) is recorded in
that session, whichever is current, and the function does not see the argument.

While `playback(tools=True)` runs, `_step_answer` is set: a tool or action call is then answered by
the recorded call instead of running the function; the step span is recorded as usual.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from functools import partial
from typing import Any

import wrapt
from opentelemetry import context as otel_context
from opentelemetry import trace

from .. import _tool_calls as tool_calls
from .. import semconv as sc
from .._context import SESSION_ID_KEY
from .._exceptions import is_clean_exit
from .._internal import internal_error
from ..errors import ConfigurationError
from ._events import USER_COST_SOURCE
from ._generators import Scope, drive, drive_async
from ._spans import content_attributes, record_error, set_content, tracer

# Set by playback(tools=True): (step kind, step name, arguments as recorded, shape of the function)
# -> a stand-in for the function that gives the recorded answer, or None to run the function itself.
# Shapes: "call", "async", "generator", "async_generator". One module-level check keeps the normal path fast.
StepAnswer = Callable[[str, str, dict[str, Any], str], Callable[..., Any] | None]
_step_answer: StepAnswer | None = None

# The agent whose step is current: a call between one agent instance's own methods stays in its step.
AGENT_KEY = otel_context.create_key("agentops_otel.agent_id")


class StepKind:
    """How one kind of step names its span and where its inputs and outputs go."""

    def __init__(
        self,
        span_type: str,
        span_prefix: str,
        operation: str | None,
        name_key: str | None,
        params_key: str,
        returns_key: str,
        answerable: bool = False,
    ) -> None:
        self.span_type, self.span_prefix, self.operation = str(span_type), span_prefix, operation
        self.name_key, self.params_key, self.returns_key = name_key, params_key, returns_key
        self.answerable = answerable  # playback may answer it (tools, actions); agents are the code under test

    def start_attributes(self, name: str) -> dict[str, Any]:
        attrs: dict[str, Any] = {sc.AGENTOPS_SPAN_TYPE: self.span_type}
        if self.operation:
            attrs[sc.GEN_AI_OPERATION_NAME] = str(self.operation)
        if self.name_key:
            attrs[self.name_key] = name
        return attrs


_STEP_IO = (sc.AGENTOPS_STEP_PARAMS, sc.AGENTOPS_STEP_RETURNS)
ACTION = StepKind(sc.SpanTypeValues.ACTION, "", None, sc.AGENTOPS_ACTION_TYPE, *_STEP_IO, answerable=True)
TOOL = StepKind(
    sc.SpanTypeValues.TOOL,
    "execute_tool ",
    sc.GenAiOperationNameValues.EXECUTE_TOOL,
    sc.GEN_AI_TOOL_NAME,
    sc.GEN_AI_TOOL_CALL_ARGUMENTS,
    sc.GEN_AI_TOOL_CALL_RESULT,
    answerable=True,
)
AGENT = StepKind(
    sc.SpanTypeValues.AGENT, "invoke_agent ", sc.GenAiOperationNameValues.INVOKE_AGENT, sc.GEN_AI_AGENT_NAME, *_STEP_IO
)
WORKFLOW = StepKind(
    sc.SpanTypeValues.WORKFLOW,
    "invoke_workflow ",
    sc.GenAiOperationNameValues.INVOKE_WORKFLOW,
    sc.GEN_AI_WORKFLOW_NAME,
    *_STEP_IO,
)
GUARDRAIL = StepKind(sc.SpanTypeValues.GUARDRAIL, "", None, None, *_STEP_IO)


@dataclass(frozen=True)
class StepOptions:
    """The keywords of AgentOps' 0.4 decorators (`name=`, `version=`, `tags=`, `cost=`, `spec=`, ...)."""

    name: str | None = None
    version: Any = None
    tags: Any = None
    cost: Any = None
    spec: Any = None
    capture_request: bool = True
    capture_response: bool = True
    attributes: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        cost = self.cost
        if cost is not None and (isinstance(cost, bool) or not isinstance(cost, int | float) or not cost >= 0):
            raise ConfigurationError(f"cost= must be an amount in USD >= 0 (got {cost!r})")
        if self.attributes is not None and not isinstance(self.attributes, Mapping):
            raise ConfigurationError(f"attributes= must be a dict of names to values (got {self.attributes!r})")

    def static_attributes(self) -> dict[str, Any]:
        from ._handle import attribute_value

        attrs = {str(k): attribute_value(str(k), v) for k, v in (self.attributes or {}).items()}
        if self.version is not None:
            attrs[sc.AGENTOPS_ENTITY_VERSION] = str(self.version)
        if self.tags:
            tags = [self.tags] if isinstance(self.tags, str) else self.tags
            attrs[sc.AGENTOPS_STEP_TAGS] = tuple(str(t) for t in tags)
        if self.cost is not None:
            attrs[sc.AGENTOPS_COST_USD] = float(self.cost)
            attrs[sc.AGENTOPS_COST_SOURCE] = USER_COST_SOURCE
            attrs[sc.AGENTOPS_COST_GIVEN] = True
        if self.spec is not None:
            attrs[sc.AGENTOPS_GUARDRAIL_SPEC] = str(self.spec)
        return attrs


# Per instance of a decorated class: the attributes of this call's step, or None to run it untraced.
Bind = Callable[[Any], dict[str, Any] | None]


def _signature(signatures: dict[bool, inspect.Signature | None], wrapped: Any) -> inspect.Signature | None:
    bound_method = hasattr(wrapped, "__self__")  # wrapt hands bound methods without `self` in args
    if bound_method not in signatures:  # inspect.signature is slow: once per function and form
        try:
            signatures[bound_method] = inspect.signature(wrapped)
        except (TypeError, ValueError):
            signatures[bound_method] = None
    return signatures[bound_method]


_SIMPLE_KINDS = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)


def _simple_names(signature: inspect.Signature) -> tuple[tuple[str, ...], int] | None:
    """(parameter names, how many can be passed by position) when no parameter is positional-only or
    variadic, else None: then binding by hand gives what `bind_partial` gives."""
    params = tuple(signature.parameters.values())
    if not all(p.kind in _SIMPLE_KINDS for p in params):
        return None
    positional = sum(1 for p in params if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return tuple(p.name for p in params), positional


def _bound_arguments(
    signatures: dict[bool, inspect.Signature | None],
    wrapped: Any,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    simple: dict[bool, tuple[tuple[str, ...], int] | None] | None = None,
) -> dict[str, Any]:
    signature = _signature(signatures, wrapped)
    try:
        if signature is None:
            raise TypeError
        # The arguments as passed, in the signature's order (AgentOps fills in defaults too; assertions
        # and playback read these). By hand for plain signatures: bind_partial is a fifth of a step's cost.
        if simple is not None:
            bound_method = hasattr(wrapped, "__self__")
            if bound_method not in simple:
                simple[bound_method] = _simple_names(signature)
            shape = simple[bound_method]
            if shape is not None and len(args) <= shape[1]:
                names = shape[0]
                bound = dict(zip(names, args, strict=False))
                if kwargs:
                    for name in names[len(args) :]:
                        if name in kwargs:
                            bound[name] = kwargs[name]
                    if len(bound) != len(args) + len(kwargs):  # unknown or repeated names: bind_partial says
                        raise LookupError
                return bound
        return dict(signature.bind_partial(*args, **kwargs).arguments)
    except LookupError:
        return _bound_arguments(signatures, wrapped, args, kwargs)
    except TypeError:  # the call will fail the same way in the function itself
        return {"args": list(args), "kwargs": kwargs}


def _routed(signatures: dict[bool, inspect.Signature | None], wrapped: Any, kwargs: dict[str, Any]) -> Any:
    """AgentOps' `session=` keyword: the context of the session it names, taken out of `kwargs`."""
    context = getattr(kwargs.get("session"), "context", None)
    if not isinstance(context, otel_context.Context):
        return None
    signature = _signature(signatures, wrapped)
    if signature is not None and "session" in signature.parameters:
        return None  # the function's own `session` argument
    del kwargs["session"]
    return context


def _tool_call_id(name: str, bound: dict[str, Any]) -> str | None:
    """The caller's own `tool_call_id` argument, else the id of the model's call this tool answers."""
    given = bound.get("tool_call_id")
    if isinstance(given, str) and given:
        return given
    return tool_calls.claim(name, bound)


def step_decorator(kind: StepKind, options: StepOptions, bind: Bind | None = None) -> Callable[[Any], Any]:
    """A decorator recording each call of a function as a step of `kind`."""

    def decorate(func: Any) -> Any:
        step_name = str(options.name or getattr(func, "__name__", "step"))
        span_name = kind.span_prefix + step_name
        static = {**options.static_attributes(), **kind.start_attributes(step_name)}
        is_gen = inspect.isgeneratorfunction(func)
        is_async_gen = inspect.isasyncgenfunction(func)
        is_async = inspect.iscoroutinefunction(func)
        shape = "generator" if is_gen else "async_generator" if is_async_gen else "async" if is_async else "call"
        signatures: dict[bool, inspect.Signature | None] = {}
        simple: dict[bool, tuple[tuple[str, ...], int] | None] = {}

        def recorded_answer(wrapped: Any, args: Any, kwargs: Any) -> Any:
            """What runs in place of `wrapped` under playback: the recorded answer, or `wrapped` itself."""
            if not kind.answerable or _step_answer is None:
                return wrapped
            params = _bound_arguments(signatures, wrapped, args, kwargs)
            return _step_answer(kind.span_type, step_name, params, shape) or wrapped

        def start(wrapped: Any, instance: Any, args: Any, kwargs: Any, run: Any, parent: Any) -> tuple[Any, Any]:
            """The step's span and its context; (None, None) when nothing records (or on a bug of ours)."""
            try:
                tr = tracer()
                if tr is None:
                    return None, None
                parent = otel_context.get_current() if parent is None else parent  # looked up once
                current = trace.get_current_span(parent).get_span_context()
                if current.is_valid and not current.trace_flags.sampled:
                    return None, None  # inside a sampled-out session: no span, and no content work
                attrs = dict(static)
                name = span_name
                if bind is not None:
                    extra = bind(instance)
                    if extra is None:
                        return None, None
                    attrs.update(extra)
                    if kind.name_key in extra:
                        name = kind.span_prefix + str(extra[kind.name_key])
                bound = _bound_arguments(signatures, wrapped, args, kwargs, simple)
                if options.capture_request:
                    content_attributes(kind.params_key, bound, attrs)
                if kind is TOOL:
                    call_id = _tool_call_id(step_name, bound)
                    if call_id:
                        attrs[sc.GEN_AI_TOOL_CALL_ID] = call_id
                if run is not wrapped:
                    attrs[sc.AGENTOPS_PLAYBACK_ANSWERED] = True
                session_id = parent.get(SESSION_ID_KEY)
                if session_id is not None:  # at start, with everything else: the SDK's cheapest way
                    attrs[sc.SESSION_ID] = session_id
                span = tr.start_span(name, context=parent, attributes=attrs)
                ctx = trace.set_span_in_context(span, parent)
                if sc.GEN_AI_AGENT_ID in attrs:
                    ctx = otel_context.set_value(AGENT_KEY, attrs[sc.GEN_AI_AGENT_ID], ctx)
                return span, ctx
            except Exception:
                internal_error(f"start the span of {span_name!r} (the call runs untraced)")
                return None, None

        def finish(span: Any, result: Any) -> None:
            try:
                if options.capture_response:
                    set_content(span, kind.returns_key, result)
            except Exception:
                internal_error(f"record what {span_name!r} returned")
            finally:
                span.end()

        def fail(span: Any, exc: BaseException, yielded: list[Any] | None = None) -> None:
            try:
                if yielded and options.capture_response:  # a generator's items before it failed
                    set_content(span, kind.returns_key, yielded)
                if not is_clean_exit(exc):  # sys.exit(0) inside a step: the program ends well
                    record_error(span, exc)
            except Exception:
                internal_error(f"record the error of {span_name!r}")
            finally:
                span.end()

        def scope(span: Any, ctx: Any) -> Scope:
            return Scope(
                partial(otel_context.attach, ctx), otel_context.detach, partial(finish, span), partial(fail, span)
            )

        def prepare(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> tuple[Any, Any, Any, Any]:
            """(what runs, span, its context, the context to run in when untraced)."""
            parent = _routed(signatures, wrapped, kwargs) if kwargs and "session" in kwargs else None
            run = wrapped if _step_answer is None else recorded_answer(wrapped, args, kwargs)
            span, ctx = start(wrapped, instance, args, kwargs, run, parent)
            return run, span, ctx, parent

        @wrapt.decorator
        def call(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
            run, span, ctx, parent = prepare(wrapped, instance, args, kwargs)
            if span is None:
                if parent is None:
                    return run(*args, **kwargs)
                ctx = parent
            token = otel_context.attach(ctx)
            try:
                result = run(*args, **kwargs)
            except BaseException as exc:
                if span is not None:
                    fail(span, exc)
                raise
            finally:
                otel_context.detach(token)
            if span is not None:
                finish(span, result)
            return result

        @wrapt.decorator
        def call_async(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
            routed = _routed(signatures, wrapped, kwargs) if kwargs and "session" in kwargs else None

            async def traced() -> Any:
                token = otel_context.attach(routed) if routed is not None else None
                try:
                    run, span, ctx, _ = prepare(wrapped, instance, args, kwargs)
                    if span is None:
                        return await run(*args, **kwargs)
                    inner = otel_context.attach(ctx)
                    try:
                        result = await run(*args, **kwargs)
                    except BaseException as exc:
                        fail(span, exc)
                        raise
                    finally:
                        otel_context.detach(inner)
                    finish(span, result)
                    return result
                finally:
                    if token is not None:
                        otel_context.detach(token)

            return traced()

        @wrapt.decorator
        def call_gen(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
            run, span, ctx, parent = prepare(wrapped, instance, args, kwargs)
            if span is None:
                if parent is None:
                    return run(*args, **kwargs)
                return drive(run(*args, **kwargs), _context_scope(parent))
            return drive(run(*args, **kwargs), scope(span, ctx))

        @wrapt.decorator
        def call_async_gen(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
            run, span, ctx, parent = prepare(wrapped, instance, args, kwargs)
            if span is None:
                if parent is None:
                    return run(*args, **kwargs)
                return drive_async(run(*args, **kwargs), _context_scope(parent))
            return drive_async(run(*args, **kwargs), scope(span, ctx))

        wrapper = call_gen if is_gen else call_async_gen if is_async_gen else call_async if is_async else call
        return wrapper(func)

    return decorate


def _noop(*_: Any) -> None:
    pass


def _context_scope(context: Any) -> Scope:
    """A generator run in another session's context (`session=`), untraced itself."""
    return Scope(partial(otel_context.attach, context), otel_context.detach, _noop, _noop)


_KEYWORDS = frozenset(f.name for f in fields(StepOptions))


def options_of(name_or_func: Any, keywords: dict[str, Any], *aliases: str) -> tuple[Any, StepOptions]:
    """(the function of a bare decorator or None, the options) from `@deco`, `@deco("name")`,
    `@deco(name=...)` and AgentOps' older keyword for the name (`tool_name=`, `event_name=`)."""
    unknown = set(keywords) - _KEYWORDS - set(aliases)
    if unknown:
        raise TypeError(
            f"unexpected keyword argument(s) {', '.join(sorted(unknown))}: a step decorator takes "
            f"{', '.join(sorted(_KEYWORDS))}"
        )
    names = [keywords.pop(alias, None) for alias in aliases]
    func = name_or_func if callable(name_or_func) else None
    name = keywords.pop("name", None) or (None if func is not None else name_or_func)
    for alias_name in names:
        name = name or alias_name
    if name is not None and not isinstance(name, str):
        raise ConfigurationError(f"a step's name must be a string (got {name!r})")
    return func, StepOptions(name=name, **keywords)


def steps_decorated(kind: StepKind, name_or_func: Any, keywords: dict[str, Any], *aliases: str) -> Any:
    """`@deco` applied at once, or `@deco(...)` returning the decorator."""
    func, options = options_of(name_or_func, keywords, *aliases)
    decorator = step_decorator(kind, options)
    return decorator(func) if func is not None else decorator
