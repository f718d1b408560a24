"""Kernel limits applied inside the phase process, and the exec wrapper for shell phases.

Runs in the child, so it imports nothing heavy. The limits are set by the child itself (this
module, or pyentry) rather than by `preexec_fn`, which is unsafe in a threaded executor (the
heartbeat timer is a thread) and forces subprocess off its fork-free fast path.

    python -m controlroom.phases.rlimits --as BYTES --cpu SOFT --cpu-hard HARD -- argv...
"""

from __future__ import annotations

import argparse
import os
import resource
import sys

COMMAND_NOT_FOUND = 127
CANNOT_EXECUTE = 126


def _lower(which: int, soft: int, hard: int) -> None:
    # Never ask for more than the current hard limit: an unprivileged process may only lower it.
    _, current_hard = resource.getrlimit(which)
    if current_hard != resource.RLIM_INFINITY:
        hard = min(hard, current_hard)
        soft = min(soft, hard)
    resource.setrlimit(which, (soft, hard))


def apply(address_space: int | None, cpu_soft: int | None, cpu_hard: int | None) -> None:
    # No core files: SIGXCPU and allocation failures would otherwise drop multi-GB cores in cwd.
    _lower(resource.RLIMIT_CORE, 0, 0)
    if address_space:
        _lower(resource.RLIMIT_AS, address_space, address_space)
    if cpu_soft:
        _lower(resource.RLIMIT_CPU, cpu_soft, max(cpu_hard or cpu_soft, cpu_soft))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--as", dest="address_space", type=int, default=None)
    parser.add_argument("--cpu", dest="cpu_soft", type=int, default=None)
    parser.add_argument("--cpu-hard", dest="cpu_hard", type=int, default=None)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="controlroom.phases.rlimits")
    add_arguments(parser)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = [c for c in args.command[:1] if c != "--"] + args.command[1:]
    if not command:
        parser.error("no command given after --")
    apply(args.address_space, args.cpu_soft, args.cpu_hard)
    try:
        os.execvp(command[0], command)  # noqa: S606 - argv from a validated spec, no shell by design
    except FileNotFoundError:
        sys.stderr.write(f"controlroom: command not found: {command[0]}\n")
        os._exit(COMMAND_NOT_FOUND)
    except OSError as exc:
        sys.stderr.write(f"controlroom: cannot execute {command[0]}: {exc.strerror}\n")
        os._exit(CANNOT_EXECUTE)


if __name__ == "__main__":
    main()
