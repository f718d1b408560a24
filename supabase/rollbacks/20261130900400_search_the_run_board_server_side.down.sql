-- Rollback of 20261130900400: run_board without search_text (a view cannot drop a column in
-- place: it is recreated with its comments and grants).

drop view public.run_board;

create view public.run_board
with (security_invoker = true)
as
select
    r.id as run_id,
    r.workspace_id,
    s.name as spec_name,
    s.version as spec_version,
    s.spec_hash,
    r.status,
    r.priority,
    r.score,
    r.pool,
    r.created_at,
    r.not_before,
    r.attempt_count,
    s.max_attempts,
    a.executor_id,
    a.status as attempt_status,
    a.started_at,
    a.heartbeat_at,
    a.lease_expires_at,
    r.deadline_at,
    r.cancel_requested_at,
    r.finished_at,
    r.status_changed_at,
    r.status_changed_by,
    r.status_reason,
    a.error_class as last_error_class,
    a.error_message as last_error_message
from public.runs as r
inner join public.pipeline_specs as s on r.spec_id = s.id
left join public.run_attempts as a on r.id = a.run_id and r.attempt_count = a.attempt_no;

comment on view public.run_board is
'One row per run with its spec, latest attempt and latest transition: the control room''s run board (RLS of the caller applies).';
comment on column public.run_board.run_id is 'The run.';
comment on column public.run_board.workspace_id is 'Owning workspace.';
comment on column public.run_board.spec_name is 'Spec name.';
comment on column public.run_board.spec_version is 'Spec version.';
comment on column public.run_board.spec_hash is 'Spec hash.';
comment on column public.run_board.status is 'Run status.';
comment on column public.run_board.priority is 'Requested priority.';
comment on column public.run_board.score is 'Claim order score.';
comment on column public.run_board.pool is 'Executor pool.';
comment on column public.run_board.created_at is 'Submit time.';
comment on column public.run_board.not_before is 'Earliest next claim.';
comment on column public.run_board.attempt_count is 'Attempts so far.';
comment on column public.run_board.max_attempts is 'Attempt limit of the spec.';
comment on column public.run_board.executor_id is 'Executor of the latest attempt.';
comment on column public.run_board.attempt_status is 'Status of the latest attempt.';
comment on column public.run_board.started_at is 'Start of the latest attempt.';
comment on column public.run_board.heartbeat_at is 'Latest heartbeat of the latest attempt.';
comment on column public.run_board.lease_expires_at is 'Lease expiry of the latest attempt.';
comment on column public.run_board.deadline_at is 'Max run duration deadline.';
comment on column public.run_board.cancel_requested_at is 'When cancellation was requested.';
comment on column public.run_board.finished_at is 'When the run became terminal.';
comment on column public.run_board.status_changed_at is 'Latest transition time.';
comment on column public.run_board.status_changed_by is 'Latest transition actor.';
comment on column public.run_board.status_reason is 'Latest transition reason.';
comment on column public.run_board.last_error_class is 'Error class of the latest attempt.';
comment on column public.run_board.last_error_message is 'Error message of the latest attempt.';

revoke all on table public.run_board from public, anon, authenticated, service_role, controlroom_executor;
grant select on table public.run_board to authenticated, service_role;
