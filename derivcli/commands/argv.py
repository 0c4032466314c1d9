"""How deriv reads a command line: Typer's classes with a fast completion parse, and leading-minus EXPRs.

Usage errors become one line on stderr (and a JSON error under ``--json``),
like every other error.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Final, NamedTuple

import typer
from typer.core import TyperCommand, TyperGroup
from typer.exceptions import TyperException

from derivcli.commands.options import EXIT_STATUS_EPILOG
from derivcli.errors import DerivError, ErrorKind, ExitStatus
from derivcli.render.messages import printable

#: Usage errors quote what was typed; longer quotes are cut.
MAX_USAGE_MESSAGE: Final = 200


def parse_for_completion(command: Any, ctx: Any, args: list[str]) -> list[str]:
    """Parse a command line as shell completion needs it: which parameters were given, values unconverted.

    Converting values is what Typer does next, and it builds pydantic adapters
    for that (about 60 ms of imports); completion never uses the values, and a
    Tab press should cost little more than ``import typer``.
    """
    from typer._click.core import ParameterSource

    parser = command.make_parser(ctx)
    opts, rest, _ = parser.parse_args(args=args)
    for param in command.get_params(ctx):
        if param.name is None:
            continue
        given = param.name in opts
        ctx.params.setdefault(param.name, opts.get(param.name))
        ctx.set_parameter_source(
            param.name, ParameterSource.COMMANDLINE if given else ParameterSource.DEFAULT
        )
    ctx.args = rest
    ctx._opt_prefixes.update(parser._opt_prefixes)
    return list(rest)


class DerivGroup(TyperGroup):
    """deriv's top level: as Typer's, with a completion parse that skips value conversion."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        """Parse the top-level options; under completion, without converting values."""
        if not ctx.resilient_parsing:
            return list(super().parse_args(ctx, args))
        rest = parse_for_completion(self, ctx, args)
        if rest:
            ctx._protected_args, ctx.args = rest[:1], rest[1:]
        return list(ctx.args)


class DerivCommand(TyperCommand):
    """A deriv command: as Typer's, with a completion parse that skips value conversion."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        """Parse the command's options; under completion, without converting values."""
        if ctx.resilient_parsing:
            return parse_for_completion(self, ctx, args)
        return list(super().parse_args(ctx, args))


class ExpressionCommand(DerivCommand):
    """A command whose expression argument may start with '-' (``deriv eval "-x**2"``)."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        """Let a leading-minus expression through, and answer usage errors in JSON under --json."""
        args = move_dash_expression(args, self.params, help_options=ctx.help_option_names)
        if ctx.resilient_parsing:
            return parse_for_completion(self, ctx, args)
        # Click consumes the list it is given: decide about JSON before it does.
        wants_json = "--json" in args
        try:
            return super().parse_args(ctx, args)
        except TyperException as error:
            error_text = error.format_message()
            if wants_json:
                from derivcli.render.documents.values import error_document, print_json

                print_json(error_document(DerivError(ErrorKind.USAGE, error_text)))
            # One line, as every other error: the message (a hostile option can be thousands of
            # characters long, so it is cut) and where to read more.
            if len(error_text) > MAX_USAGE_MESSAGE:
                error_text = error_text[:MAX_USAGE_MESSAGE] + f"... ({len(error_text):,} characters)"
            typer.echo(f"deriv: error: {printable(error_text)} (see 'deriv {self.name} --help')", err=True)
            raise typer.Exit(ExitStatus.BAD_INPUT) from None


def move_dash_expression(
    args: Sequence[str], params: Sequence[Any], *, help_options: Sequence[str] = ()
) -> list[str]:
    """Move a first positional that starts with '-' behind ``--`` so it is not read as an option.

    Option values (``--at -1``) are skipped, so only the expression moves.
    """
    takes_value: set[str] = set()
    known: set[str] = set(help_options)
    for param in params:
        names = [*getattr(param, "opts", ()), *getattr(param, "secondary_opts", ())]
        if getattr(param, "param_type_name", "") != "option":
            continue
        known.update(names)
        if not getattr(param, "is_flag", False) and getattr(param, "nargs", 1) == 1:
            takes_value.update(names)
    out: list[str] = []
    moved: str | None = None
    index = 0
    while index < len(args):
        token = args[index]
        if token == "--":
            break
        if token in takes_value:
            out.extend(args[index : index + 2])
            index += 2
            continue
        if token.startswith("--") or token in known:
            out.append(token)
        elif token.startswith("-") and len(token) > 1 and moved is None:
            moved = token
        elif not token.startswith("-"):
            # A positional already came: leave the rest for click to judge.
            out.extend(args[index:])
            index = len(args)
            break
        else:
            out.append(token)
        index += 1
    rest = list(args[index + 1 :]) if index < len(args) else []
    if moved is None:
        return out + (["--", *rest] if index < len(args) else [])
    return [*out, "--", moved, *rest]


class CommandSpec(NamedTuple):
    """How a command appears on the command line: its name, the function of its options, its help."""

    name: str
    function: Callable[..., None]
    help: str
    epilog: str = EXIT_STATUS_EPILOG
    cls: type[TyperCommand] = ExpressionCommand
