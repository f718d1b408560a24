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
    v_as_of timestamptz := private.clock(complete_run.as_of);
    v_attempt public.run_attempts;
    v_done record;
begin
    perform private.assert_executor_role();
    if complete_run.result is not null and pg_catalog.jsonb_typeof(complete_run.result) <> 'object' then
        raise exception 'result must be a JSON object'
        using errcode = '22023',
        detail = pg_catalog.format('Got %s.', pg_catalog.jsonb_typeof(complete_run.result)),
        hint = 'Pass a summary object or omit it.';
    end if;
    perform private.assert_json_within('result', complete_run.result, 65536, 32, 'Keep a run''s result to a small summary (at most 64 KiB, 32 levels); put the rest in an artifact.');
    -- An unknown token (PT404) or another credential's lease (42501) is an error of this call.
    v_attempt := private.lock_lease(complete_run.lease);

    select c.outcome, c.run_status into v_done
    from private.complete_attempts(
        pg_catalog.jsonb_build_array(
            pg_catalog.jsonb_build_object('lease', complete_run.lease, 'result', complete_run.result)
        ),
        'complete_run', v_as_of
    ) as c;
    if v_done.outcome = 'not_started' then
        raise exception 'attempt % was never started', v_attempt.id
        using errcode = 'PT422',
        detail = 'A run goes claimed -> running -> succeeded.',
        hint = 'Call start_run before complete_run.';
    elsif v_done.outcome = 'rejected' then
        return private.dead_lease_reply(v_attempt, v_done.run_status, 'complete_run');
    end if;
    return private.lease_reply(
        v_done.outcome,
        (select a from public.run_attempts as a where a.id = v_attempt.id),
        (select r from public.runs as r where r.id = v_attempt.run_id)
    );
end
$$;

comment on function public.complete_run(uuid, jsonb, timestamptz) is
'Marks a running attempt and its run succeeded. A repeated call is a duplicate; a dead lease gets 409 PT409, changes nothing and is recorded as a lease.rejected event.';

revoke execute on function public.complete_run(uuid, jsonb, timestamptz)
from public, anon, authenticated, service_role;
grant execute on function public.complete_run(uuid, jsonb, timestamptz) to controlroom_executor;
