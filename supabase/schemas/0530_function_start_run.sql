-- Executors are untrusted, stateless and may be zombies (paused, partitioned, killed and
-- restarted). Every write they make goes through the executor RPCs and carries the attempt's lease
-- token, so the database alone decides whether the write still counts (fencing). A write with a
-- dead lease changes nothing and is answered with HTTP 409 (PT409); the rejection is recorded as
-- a run event in the same, committed, transaction (see docs/architecture.md, "Control plane").

create function public.start_run(lease uuid, as_of timestamptz default null)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_as_of timestamptz := private.clock(start_run.as_of);
    v_attempt public.run_attempts;
    v_run public.runs;
begin
    perform private.assert_executor_role();
    v_attempt := private.lock_lease(start_run.lease);
    if v_attempt.status = 'running' then
        select r.* into v_run from public.runs as r where r.id = v_attempt.run_id;
        return private.lease_reply('duplicate', v_attempt, v_run);
    elsif not private.lease_is_live(v_attempt) then
        return private.reject_dead_lease(v_attempt, 'start_run', v_as_of);
    end if;

    update public.run_attempts as a
    set status = 'running', started_at = v_as_of
    where a.id = v_attempt.id
    returning a.* into v_attempt;
    v_run := private.transition_run(
        v_attempt.run_id, 'running', 'executor:' || v_attempt.executor_id::text,
        pg_catalog.format('started (attempt %s)', v_attempt.attempt_no), v_as_of
    );
    return private.lease_reply('accepted', v_attempt, v_run);
end
$$;

comment on function public.start_run(uuid, timestamptz) is
'Marks a claimed attempt and its run running. A repeated call is a duplicate (no change); a dead lease gets 409 PT409 and a lease.rejected event.';

revoke execute on function public.start_run(uuid, timestamptz)
from public, anon, authenticated, service_role;
grant execute on function public.start_run(uuid, timestamptz) to controlroom_executor;
