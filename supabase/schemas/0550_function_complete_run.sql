-- Executors are untrusted, stateless and may be zombies (paused, partitioned, killed and
-- restarted). Every write they make goes through the executor RPCs and carries the attempt's lease
-- token, so the database alone decides whether the write still counts (fencing). A write with a
-- dead lease changes nothing and is answered with HTTP 409 (PT409); the rejection is recorded as
-- a run event in the same, committed, transaction (see docs/architecture.md, "Control plane").

create function public.complete_run(lease uuid, result jsonb default null, as_of timestamptz default null)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_as_of timestamptz := coalesce(complete_run.as_of, pg_catalog.now());
    v_attempt public.run_attempts;
    v_run public.runs;
begin
    perform private.assert_executor_role();
    if complete_run.result is not null and pg_catalog.jsonb_typeof(complete_run.result) <> 'object' then
        raise exception 'result must be a JSON object'
        using errcode = '22023',
        detail = pg_catalog.format('Got %s.', pg_catalog.jsonb_typeof(complete_run.result)),
        hint = 'Pass a summary object or omit it.';
    end if;
    v_attempt := private.lock_lease(complete_run.lease);
    if v_attempt.status = 'succeeded' then
        select r.* into v_run from public.runs as r where r.id = v_attempt.run_id;
        return private.lease_reply('duplicate', v_attempt, v_run);
    elsif not private.lease_is_live(v_attempt) then
        return private.reject_dead_lease(v_attempt, 'complete_run', v_as_of);
    elsif v_attempt.status = 'claimed' then
        raise exception 'attempt % was never started', v_attempt.id
        using errcode = 'PT422',
        detail = 'A run goes claimed -> running -> succeeded.',
        hint = 'Call start_run before complete_run.';
    end if;

    update public.run_attempts as a
    set status = 'succeeded', finished_at = v_as_of, result = complete_run.result
    where a.id = v_attempt.id
    returning a.* into v_attempt;
    v_run := private.transition_run(
        v_attempt.run_id, 'succeeded', 'executor:' || v_attempt.executor_id::text,
        pg_catalog.format('succeeded (attempt %s)', v_attempt.attempt_no), v_as_of
    );
    return private.lease_reply('accepted', v_attempt, v_run);
end
$$;

comment on function public.complete_run(uuid, jsonb, timestamptz) is
'Marks a running attempt and its run succeeded. A repeated call is a duplicate; a dead lease gets 409 PT409, changes nothing and is recorded as a lease.rejected event.';

revoke execute on function public.complete_run(uuid, jsonb, timestamptz)
from public, anon, authenticated, service_role;
grant execute on function public.complete_run(uuid, jsonb, timestamptz) to controlroom_executor;
