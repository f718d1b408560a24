-- Why: the board needs "why is it waiting" per queued run (issue 13): run_waits shows each queued
-- run's most specific reason from explain_wait, under the caller's RLS.

set lock_timeout = '5s';
set statement_timeout = '60s';

create view public.run_waits
with (security_invoker = true)
as
select
    r.id as run_id,
    r.workspace_id,
    r.pool,
    w.rank,
    w.reason,
    w.message,
    w.details
from public.runs as r
cross join lateral (
    select
        e.rank,
        e.reason,
        e.message,
        e.details
    from public.explain_wait(r.id) as e
    order by e.rank
    limit 1
) as w
where r.status = 'queued';

comment on view public.run_waits is
'Queued runs with the most specific reason they are not being claimed (public.explain_wait; RLS of the caller applies). One explain_wait call per row: filter by workspace_id or run_id.';
comment on column public.run_waits.run_id is 'The queued run.';
comment on column public.run_waits.workspace_id is 'Workspace.';
comment on column public.run_waits.pool is 'Pool.';
comment on column public.run_waits.rank is 'Specificity of the reason (1 most specific; see explain_wait).';
comment on column public.run_waits.reason is 'no_live_executor | labels_missing | workspace_cap_full | pool_cap_full | spec_cap_full | budget_exhausted | retry_backoff | next_in_line.';
comment on column public.run_waits.message is 'The reason in one sentence.';
comment on column public.run_waits.details is 'The numbers behind it (current/limit, missing labels, until, rank).';

revoke all on table public.run_waits from public, anon, authenticated, service_role, controlroom_executor;
grant select on table public.run_waits to authenticated, service_role;
