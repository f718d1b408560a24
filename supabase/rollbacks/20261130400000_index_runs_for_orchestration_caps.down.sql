-- Rollback of 20261130400000_index_runs_for_orchestration_caps: the three cap indexes are dropped.

set lock_timeout = '5s';
set statement_timeout = '60s';

drop index public.runs_active_workspace_id_pool_idx;
drop index public.runs_queued_workspace_id_idx;
drop index public.run_attempts_workspace_id_finished_at_idx;
