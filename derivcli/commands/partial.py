"""``deriv partial``: every partial derivative (or those of ``--wrt``), with ``eval``'s options and path."""

from __future__ import annotations

from derivcli.commands.argv import CommandSpec
from derivcli.commands.eval import derivatives_command
from derivcli.model.setup import Mode

SPEC = CommandSpec(
    "partial",
    derivatives_command(Mode.PARTIAL),
    help="Partial derivatives with respect to every variable (or those given with --wrt).\n\n"
    'Example: deriv partial "u**3+v**2+4*u*v" --at u=3,v=4',
)
