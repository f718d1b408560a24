-- Executors are untrusted, stateless and may be zombies (paused, partitioned, killed and
-- restarted). Every write they make goes through the executor RPCs and carries the attempt's lease
-- token, so the database alone decides whether the write still counts (fencing). A write with a
-- dead lease changes nothing and is answered with HTTP 409 (PT409); the rejection is recorded as
-- a run event in the same, committed, transaction (see docs/architecture.md, "Control plane").

create function public.heartbeat(executor_id uuid, leases jsonb, as_of timestamptz default null)
returns table (
    lease uuid,
    run_id uuid,
    attempt_id uuid,
    directive text,
    reason text,
    lease_expires_at timestamptz
)
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
    v_as_of timestamptz := private.clock(heartbeat.as_of);
    v_executor public.executors;
    v_problem record;
begin
    v_executor := private.assert_executor(heartbeat.executor_id);
    if pg_catalog.jsonb_typeof(heartbeat.leases) is distinct from 'array' then
        raise exception 'leases must be a JSON array of lease tokens'
        using errcode = '22023',
        detail = pg_catalog.format('Got %s.', coalesce(pg_catalog.jsonb_typeof(heartbeat.leases), 'null')),
        hint = 'Pass e.g. ["8c0f…"] or [].';
    end if;
    if pg_catalog.jsonb_array_length(heartbeat.leases) > 1000 then
        raise exception 'at most 1000 leases per heartbeat'
        using errcode = 'PT413',
        detail = pg_catalog.format('Got %s.', pg_catalog.jsonb_array_length(heartbeat.leases)),
        hint = 'Split the heartbeat.';
    end if;
    select f.idx, f.problem into v_problem from private.first_lease_problem(heartbeat.leases) as f;
    if found then
        raise exception 'every lease must be a lease token (uuid string)'
        using errcode = '22023',
        detail = pg_catalog.format('leases[%s] %s.', v_problem.idx, v_problem.problem),
        hint = 'Pass the lease_token values returned by claim_runs.';
    end if;

    update public.executors as x set last_seen_at = greatest(x.last_seen_at, v_as_of)
    where x.id = v_executor.id;

    return query
    with wanted as (
        select (e.value #>> '{}')::uuid as lease_token, pg_catalog.min(e.ordinality) as ord
        from pg_catalog.jsonb_array_elements(heartbeat.leases) with ordinality as e (value, ordinality)
        group by 1
    ),
    beat as (
        -- GUARD: a closed attempt's lease is dead: it is not extended and gets lease_lost.
        update public.run_attempts as a
        set heartbeat_at = greatest(a.heartbeat_at, v_as_of),
            lease_expires_at = greatest(a.heartbeat_at, v_as_of) + a.heartbeat_tolerance
        from wanted as w
        where a.lease_token = w.lease_token
          and a.executor_id = v_executor.id
          and a.status = any(private.live_attempt_statuses())
        returning a.lease_token, a.id, a.run_id, a.lease_expires_at
    )
    select w.lease_token,
        coalesce(b.run_id, d.run_id),
        coalesce(b.id, d.id),
        case
            when b.id is null then 'lease_lost'
            when r.cancel_requested_at is not null then 'cancel'
            when r.deadline_at <= v_as_of then 'cancel'
            else 'continue'
        end,
        case
            when b.id is null and d.id is null then 'unknown lease'
            when b.id is null then 'attempt is ' || d.status
            when r.cancel_requested_at is not null then coalesce(r.cancel_reason, 'cancel requested')
            when r.deadline_at <= v_as_of then 'max run duration exceeded'
        end,
        b.lease_expires_at
    from wanted as w
    left join beat as b on b.lease_token = w.lease_token
    left join public.runs as r on r.id = b.run_id
    left join public.run_attempts as d
        on b.id is null and d.lease_token = w.lease_token and d.executor_id = v_executor.id
    order by w.ord;
end
$$;

comment on function public.heartbeat(uuid, jsonb, timestamptz) is
'Extends the live leases of the executor and answers one directive per lease: continue, cancel (cancellation requested or max run duration exceeded; reason says which) or lease_lost (the attempt was closed: stop and do not report).';

revoke execute on function public.heartbeat(uuid, jsonb, timestamptz)
from public, anon, authenticated, service_role;
grant execute on function public.heartbeat(uuid, jsonb, timestamptz) to controlroom_executor;
