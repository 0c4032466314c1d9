"""``deriv partial``: every partial derivative (or those of ``--wrt``), with ``eval``'s options and path."""

from __future__ import annotations

from derivcli.commands import eval as eval_command
from derivcli.commands.argv import CommandSpec
from derivcli.model.setup import Mode

#: The same work and view as ``deriv eval``: a partial derivative is a derivative with a name per row.
ROUTE = eval_command.ROUTE

SPEC = CommandSpec(
    "partial",
    eval_command.derivatives_command(Mode.PARTIAL),
    help="Partial derivatives with respect to every variable (or those given with --wrt).\n\n"
    'Example: deriv partial "u**3+v**2+4*u*v" --at u=3,v=4',
)
