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

revoke all on table public.schedule_board from public, anon, authenticated, service_role, controlroom_executor;
grant select on table public.schedule_board to authenticated, service_role;
