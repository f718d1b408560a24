-- Why: `controlroom schedules` and the control room show each schedule with its next fire time,
-- its last tick and the status of the run it submitted. A plain view with security_invoker, so the
-- caller's RLS applies (members see their workspaces' schedules).

create view public.schedule_board
with (security_invoker = true)
as
select
    s.id as schedule_id,
    s.workspace_id,
    s.spec_name,
    p.version as spec_version,
    s.name,
    s.cron,
    s.timezone,
    s.catchup,
    s.max_catchup,
    s.paused,
    s.paused_at,
    s.paused_by,
    s.next_fire_at,
    s.fired_through,
    t.fire_at as last_fire_at,
    t.outcome as last_outcome,
    t.code as last_code,
    t.message as last_message,
    t.run_id as last_run_id,
    r.status as last_run_status
from public.schedules as s
inner join public.pipeline_specs as p on s.spec_id = p.id
left join lateral (
    select
        k.fire_at,
        k.outcome,
        k.code,
        k.message,
        k.run_id
    from public.schedule_ticks as k
    where k.schedule_id = s.id
    order by k.fire_at desc
    limit 1
) as t on true
left join public.runs as r on t.run_id = r.id;

comment on view public.schedule_board is
'One row per schedule with its spec version, next fire time, pause state and last tick (outcome, run and its status): `controlroom schedules` (RLS of the caller applies).';

comment on column public.schedule_board.schedule_id is 'The schedule.';
comment on column public.schedule_board.workspace_id is 'Owning workspace.';
comment on column public.schedule_board.spec_name is 'Spec name.';
comment on column public.schedule_board.spec_version is 'The current spec version, whose runs it submits.';
comment on column public.schedule_board.name is 'Schedule name.';
comment on column public.schedule_board.cron is 'Five-field cron expression.';
comment on column public.schedule_board.timezone is 'Time zone the expression is read in.';
comment on column public.schedule_board.catchup is 'none | latest | all.';
comment on column public.schedule_board.max_catchup is 'Bound of catchup all.';
comment on column public.schedule_board.paused is 'Whether ticks skip it.';
comment on column public.schedule_board.paused_at is 'When the pause state last changed.';
comment on column public.schedule_board.paused_by is 'Who changed it: user:<uuid>, service_role or spec.';
comment on column public.schedule_board.next_fire_at is 'Next fire time (null: never again).';
comment on column public.schedule_board.fired_through is 'Every fire time up to this has been handled.';
comment on column public.schedule_board.last_fire_at is 'Fire time of the last tick.';
comment on column public.schedule_board.last_outcome is 'submitted | duplicate | rejected.';
comment on column public.schedule_board.last_code is 'SQLSTATE of a refused last tick.';
comment on column public.schedule_board.last_message is 'Why the last tick was refused.';
comment on column public.schedule_board.last_run_id is 'Run of the last tick.';
comment on column public.schedule_board.last_run_status is 'Status of that run.';

revoke all on table public.schedule_board from public, anon, authenticated, service_role, controlroom_executor;
grant select on table public.schedule_board to authenticated, service_role;
