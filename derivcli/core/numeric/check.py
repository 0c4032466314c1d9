"""Load a user's ``torch.autograd.Function`` from a file and probe it; the only place deriv runs user code.

``deriv check FILE.py:NAME`` imports the file the user names (as Python
would run it) and calls the named Function's forward and backward on
float64 tensors. Every exception raised by that code becomes a
:class:`~derivcli.errors.DerivError` of kind ``user-code`` that says where in
the user's file it happened; nothing of deriv's own traceback is shown.
"""

from __future__ import annotations

import importlib.util
import inspect
import math
import sys
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final, TypeVar

import torch
from torch.autograd.gradcheck import GradcheckError

from derivcli.errors import DerivError, ErrorKind

#: The upstream gradient of the single-point check: not 1, so that ignoring it shows.
GRAD_OUTPUT: Final = 3.0
#: Seed of the random upstream gradients of the batched check (reproducible runs).
SEED: Final = 20221
_EPSILON: Final = 2.0**-52
Result = TypeVar("Result")


@dataclass(frozen=True, slots=True)
class LoadedFunction:
    """A user's autograd Function, where it came from, and the names of its forward's inputs."""

    function: type[torch.autograd.Function]
    path: Path
    name: str
    inputs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CheckRun:
    """Whether a torch check passed, and its own words when it did not (None: it does not apply)."""

    passed: bool | None
    message: str


@dataclass(frozen=True, slots=True)
class Probe:
    """What the Function computed: per point (lists follow the points) and on a batch of all points."""

    forward: tuple[float, ...]
    backward: tuple[Mapping[str, float | None], ...]
    backward_scaled: tuple[Mapping[str, float | None], ...]
    batch_grad_output: tuple[float, ...]
    batch_backward: Mapping[str, tuple[float, ...] | None]
    gradcheck: CheckRun
    gradgradcheck: CheckRun


def load_function(spec: str) -> LoadedFunction:
    """Import ``FILE.py`` and return its ``NAME``, which must subclass torch.autograd.Function."""
    file_text, colon, name = spec.rpartition(":")
    if not colon or not file_text or not name:
        raise DerivError(ErrorKind.BAD_OPTION, f"expected FILE.py:NAME, e.g. my_ops.py:SQ, got {spec!r}")
    path = Path(file_text)
    if not path.is_file():
        raise DerivError(ErrorKind.BAD_FILE, f"no such file: {file_text!r}")
    module_name = f"_deriv_user_{path.stem.replace('-', '_')}"
    spec_ = importlib.util.spec_from_file_location(module_name, path)
    if spec_ is None or spec_.loader is None:
        raise DerivError(ErrorKind.BAD_FILE, f"cannot import {file_text!r}: not a Python file")
    module = importlib.util.module_from_spec(spec_)
    # The file may import modules beside it, as it would when run from its folder.
    sys.path.insert(0, str(path.resolve().parent))
    try:
        _user_call(path, f"importing {path.name}", lambda: spec_.loader.exec_module(module))  # type: ignore[union-attr]
    finally:
        sys.path.remove(str(path.resolve().parent))
    found = getattr(module, name, None)
    if found is None:
        candidates = [
            key
            for key, value in vars(module).items()
            if inspect.isclass(value)
            and issubclass(value, torch.autograd.Function)
            and value.__module__ == module_name
        ]
        hint = f"; it defines {', '.join(candidates)}" if candidates else "; it defines no autograd Function"
        raise DerivError(ErrorKind.BAD_FILE, f"{path.name} has no {name!r}{hint}")
    if not (inspect.isclass(found) and issubclass(found, torch.autograd.Function)):
        kind = type(found).__name__
        raise DerivError(
            ErrorKind.BAD_FILE,
            f"{name!r} in {path.name} is a {kind}, not a subclass of torch.autograd.Function",
        )
    return _loaded(found, path=path, name=name)


def given_function(function: object) -> LoadedFunction:
    """A Function class handed over in Python (the API, the test helpers) rather than named in a file."""
    if not (inspect.isclass(function) and issubclass(function, torch.autograd.Function)):
        raise DerivError(
            ErrorKind.BAD_OPTION,
            f"expected a subclass of torch.autograd.Function, got {type(function).__name__} {function!r}",
        )
    source = inspect.getsourcefile(function)
    return _loaded(function, path=Path(source or "<unknown>"), name=function.__qualname__)


def _loaded(function: type[torch.autograd.Function], *, path: Path, name: str) -> LoadedFunction:
    """The Function with the names of its forward's inputs (after ctx)."""
    parameters = list(inspect.signature(function.forward).parameters.values())[1:]
    inputs = tuple(parameter.name for parameter in parameters)
    return LoadedFunction(function=function, path=path, name=name, inputs=inputs)


def probe(
    loaded: LoadedFunction, *, variables: Sequence[str], points: Sequence[Mapping[str, float]]
) -> Probe:
    """Run forward and backward at each point, on a batch of all points, and torch's gradchecks."""
    if len(loaded.inputs) != len(variables):
        raise DerivError(
            ErrorKind.BAD_OPTION,
            f"{loaded.name}.forward takes {len(loaded.inputs)} input(s) ({', '.join(loaded.inputs)}) but the"
            f" expression has {len(variables)} variable(s) ({', '.join(variables)}); they are passed in the"
            " order they first appear",
        )
    forward = tuple(float(_apply(loaded, _leaves(point, variables, grad=False)).detach()) for point in points)
    backward = tuple(_backward(loaded, point, variables, 1.0) for point in points)
    scaled = tuple(_backward(loaded, point, variables, GRAD_OUTPUT) for point in points)
    generator = torch.Generator().manual_seed(SEED)
    # Random upstream gradients between 0.5 and 2.5 (never all 1).
    upstream = torch.rand(len(points), generator=generator, dtype=torch.float64) * 2 + 0.5
    batch = {
        name: torch.tensor([point[name] for point in points], dtype=torch.float64, requires_grad=True)
        for name in variables
    }
    output = _apply(loaded, list(batch.values()))
    grads = _user_call(
        loaded.path,
        f"{loaded.name}.backward",
        lambda: torch.autograd.grad(output, list(batch.values()), grad_outputs=upstream, allow_unused=True),
    )
    batch_backward = {
        name: None if grad is None else tuple(grad.tolist())
        for name, grad in zip(variables, grads, strict=True)
    }
    return Probe(
        forward=forward,
        backward=backward,
        backward_scaled=scaled,
        batch_grad_output=tuple(upstream.tolist()),
        batch_backward=batch_backward,
        gradcheck=_gradcheck(loaded, batch),
        gradgradcheck=_gradgradcheck(loaded, batch),
    )


@dataclass(frozen=True, slots=True)
class TaylorRun:
    """The Taylor remainder test: the steps, the remainders there, and the fitted order (None: no fit)."""

    steps: tuple[float, ...]
    remainders: tuple[float, ...]
    order: float | None
    direction: Mapping[str, float]
    cotangent: float


#: Steps h = 2**-k of the Taylor test: small enough for the h**2 term to lead, large enough to stay
#: far above float64's rounding.
TAYLOR_EXPONENTS: Final = tuple(range(3, 11))


def taylor_test(loaded: LoadedFunction, *, variables: Sequence[str], point: Mapping[str, float]) -> TaylorRun:
    """r(h) = |u.(F(x + h d) - F(x)) - h u.J d| for a random direction d and cotangent u, and its order.

    u.J d comes from backward with grad_output=u (a vector-Jacobian product)
    dotted with d. When backward is right the remainder is O(h**2); when it
    is wrong, by a factor or a missing grad_output, the O(h) terms no longer
    cancel and the fitted order is 1. No eps, hence no tolerance.
    """
    generator = torch.Generator().manual_seed(SEED + 1)
    direction = {name: float(torch.randn(1, generator=generator, dtype=torch.float64)) for name in variables}
    # A cotangent well away from 1: a backward that drops grad_output is then off by a visible factor.
    cotangent = float(torch.rand(1, generator=generator, dtype=torch.float64)) * 2 + 1.5
    base = float(_apply(loaded, _leaves(point, variables, grad=False)).detach())
    vjp = _backward(loaded, point, variables, cotangent)
    if any(vjp[name] is None for name in variables):
        return TaylorRun((), (), None, direction, cotangent)
    slope = math.fsum(float(vjp[name] or 0.0) * direction[name] for name in variables)
    steps = tuple(2.0**-exponent for exponent in TAYLOR_EXPONENTS)
    remainders = []
    for step in steps:
        moved = {name: point[name] + step * direction[name] for name in variables}
        value = float(_apply(loaded, _leaves(moved, variables, grad=False)).detach())
        remainders.append(abs(cotangent * (value - base) - step * slope))
    return TaylorRun(
        steps,
        tuple(remainders),
        _fitted_order(steps, remainders, scale=abs(cotangent * base)),
        direction,
        cotangent,
    )


def _fitted_order(steps: Sequence[float], remainders: Sequence[float], *, scale: float) -> float | None:
    """The least-squares slope of log r against log h, over remainders above rounding (None: too few)."""
    floor = 1e3 * _EPSILON * max(scale, 1.0)
    kept = [
        (math.log2(step), math.log2(value))
        for step, value in zip(steps, remainders, strict=True)
        if value > floor
    ]
    if len(kept) < 3:
        return None
    mean_x = math.fsum(x for x, _ in kept) / len(kept)
    mean_y = math.fsum(y for _, y in kept) / len(kept)
    covariance = math.fsum((x - mean_x) * (y - mean_y) for x, y in kept)
    variance = math.fsum((x - mean_x) ** 2 for x, _ in kept)
    return covariance / variance


def _leaves(point: Mapping[str, float], variables: Sequence[str], *, grad: bool) -> list[torch.Tensor]:
    return [torch.tensor(point[name], dtype=torch.float64, requires_grad=grad) for name in variables]


def _apply(loaded: LoadedFunction, inputs: Sequence[torch.Tensor]) -> torch.Tensor:
    """``Function.apply`` on the inputs; anything else than one tensor out is the user's mistake."""
    output = _user_call(
        loaded.path,
        f"{loaded.name}.forward",
        lambda: loaded.function.apply(*inputs),  # type: ignore[no-untyped-call]
    )
    if not isinstance(output, torch.Tensor):
        raise DerivError(
            ErrorKind.USER_CODE,
            f"{loaded.name}.forward returned a {type(output).__name__}, not a tensor",
        )
    return output


def _backward(
    loaded: LoadedFunction, point: Mapping[str, float], variables: Sequence[str], upstream: float
) -> dict[str, float | None]:
    """Each input's gradient at one point for an upstream gradient ``upstream``."""
    leaves = _leaves(point, variables, grad=True)
    output = _apply(loaded, leaves)
    if not output.requires_grad:
        return dict.fromkeys(variables)
    grads = _user_call(
        loaded.path,
        f"{loaded.name}.backward",
        lambda: torch.autograd.grad(
            output, leaves, grad_outputs=torch.full_like(output, upstream), allow_unused=True
        ),
    )
    return {name: None if grad is None else float(grad) for name, grad in zip(variables, grads, strict=True)}


def _gradcheck(loaded: LoadedFunction, batch: Mapping[str, torch.Tensor]) -> CheckRun:
    """torch.autograd.gradcheck: backward against finite differences of forward, in float64."""
    inputs = tuple(tensor.detach().requires_grad_(True) for tensor in batch.values())
    return _torch_check(loaded, "gradcheck", lambda: torch.autograd.gradcheck(loaded.function.apply, inputs))


def _gradgradcheck(loaded: LoadedFunction, batch: Mapping[str, torch.Tensor]) -> CheckRun:
    """torch.autograd.gradgradcheck, where backward builds a graph (double backward); else not applicable."""
    inputs = tuple(tensor.detach().requires_grad_(True) for tensor in batch.values())
    output = _apply(loaded, inputs)
    grads = _user_call(
        loaded.path,
        f"{loaded.name}.backward",
        lambda: torch.autograd.grad(output.sum(), inputs, create_graph=True, allow_unused=True),
    )
    if not any(grad is not None and grad.requires_grad for grad in grads):
        return CheckRun(None, "backward does not build a graph, so it cannot be differentiated again")
    return _torch_check(
        loaded, "gradgradcheck", lambda: torch.autograd.gradgradcheck(loaded.function.apply, inputs)
    )


def _torch_check(loaded: LoadedFunction, name: str, check: Callable[[], bool]) -> CheckRun:
    """Run one of torch's checks; its complaint, first lines only, is the message."""
    try:
        return CheckRun(
            bool(_user_call(loaded.path, name, check, passthrough=(GradcheckError,))),
            "",
        )
    except GradcheckError as error:
        return CheckRun(False, _summarise(str(error)))


#: Longest gradcheck message kept whole; a longer one is cut between two numbers, never inside one.
MAX_SUMMARY: Final = 600


def _summarise(message: str) -> str:
    """torch's gradcheck message on one line: the mismatch and both Jacobians, cut only between numbers."""
    text = " ".join(line.strip() for line in message.strip().splitlines() if line.strip())
    text = text.replace(", dtype=torch.float64", "").replace(":tensor(", ": tensor(")
    if len(text) <= MAX_SUMMARY:
        return text
    cut = text.rfind(",", 0, MAX_SUMMARY)
    return f"{text[: cut if cut > 0 else MAX_SUMMARY]}, … ({len(text):,} characters in all)"


def _user_call(
    path: Path,
    what: str,
    action: Callable[[], Result],
    *,
    passthrough: tuple[type[BaseException], ...] = (),
) -> Result:
    """Run user code; its exceptions become one-line DerivErrors naming the line in the user's file."""
    try:
        return action()
    except passthrough:
        raise
    except SystemExit as exit_request:
        raise DerivError(ErrorKind.USER_CODE, f"{what} called sys.exit({exit_request.code!r})") from None
    except KeyboardInterrupt:
        # Ctrl-C never reaches the worker (the command handles it): the user's code raised this itself.
        raise DerivError(ErrorKind.USER_CODE, f"{what} raised KeyboardInterrupt") from None
    except Exception as error:  # noqa: BLE001 - any exception of the user's code is reported, not raised
        where = ""
        user_file = path.resolve()
        frames = [
            frame
            for frame in traceback.extract_tb(error.__traceback__)
            if Path(frame.filename).resolve() == user_file
        ]
        if frames:
            where = f" ({path.name}, line {frames[-1].lineno})"
        detail = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise DerivError(
            ErrorKind.USER_CODE,
            f"{what} raised {type(error).__name__}{': ' + detail if detail else ''}{where}",
        ) from None
