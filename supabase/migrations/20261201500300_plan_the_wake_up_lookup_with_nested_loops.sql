-- Why: private.wake_executors runs inside the runs triggers, which turn nested loops off for their
-- own joins of transition tables (0300, 0325). A function-level setting holds for everything the
-- function calls, so the wake-up lookup (an executor per row, its live leases counted through a
-- lateral index probe: a nested loop by construction) was planned with nested loops disabled. The
-- plan is the same, but its cost carries the planner's disable penalty (1e10), far above
-- jit_above_cost: every wake-up JIT-compiled its query with inlining and optimisation, ≈ 100-220 ms
-- of CPU. Completions in workspaces with orchestration caps wake their pool, so each such completion
-- paid it (32 executors under caps: complete_run 441 ms a call; 404 s of JIT over 1,800 wake-ups;
-- docs/benchmarks.md). The lookup now plans with nested loops on, as alert routing does (0947).

set lock_timeout = '5s';
set statement_timeout = '60s';

alter function private.wake_executors(text, bigint, timestamptz) set enable_nestloop = 'on';
