"""Phase runners: one phase in, one result out, in its own process group under executor-level caps.

Deliberately empty of re-exports: `python -m controlroom.phases.pyentry` and the rlimit wrapper
import this package inside every phase process, before the caps apply, so it must stay cheap.
Import from the modules: `controlroom.phases.runner.run_phase`, `controlroom.phases.models`.
"""
