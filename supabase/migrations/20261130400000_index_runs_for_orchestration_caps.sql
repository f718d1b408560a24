-- Why: the orchestration caps (20261130400100) count, per workspace, the runs claimed or running,
-- the runs queued, and the attempts live or finished today. Without these indexes each claim of a
-- capped workspace would read all of the workspace's runs and attempts. The builds take a SHARE
-- lock (writes wait for them; reads and claims' reads do not): this file holds nothing else, so an
-- operator with a large runs table can build the same indexes `concurrently` by hand first and mark
-- this migration applied (docs/architecture.md, "Safe migrations"; the gate applies migrations in a
-- transaction, where `concurrently` cannot run).

set lock_timeout = '5s';
set statement_timeout = '60s';

create index runs_active_workspace_id_pool_idx on public.runs (workspace_id, pool)
where status in ('claimed', 'running');
create index runs_queued_workspace_id_idx on public.runs (workspace_id)
where status = 'queued';
create index run_attempts_workspace_id_finished_at_idx
on public.run_attempts (workspace_id, finished_at);
