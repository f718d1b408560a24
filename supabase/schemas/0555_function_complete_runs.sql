-- Executors are untrusted, stateless and may be zombies (paused, partitioned, killed and
-- restarted). Every write they make goes through the executor RPCs and carries the attempt's lease
-- token, so the database alone decides whether the write still counts (fencing). A write with a
-- dead lease changes nothing and is answered with HTTP 409 (PT409); the rejection is recorded as
-- a run event in the same, committed, transaction (see docs/architecture.md, "Control plane").
--
-- A run costs its executor three lease calls (claim, start, complete) plus an event flush, each its
-- own committed transaction; on a small machine the commits and the per-statement trigger work
-- dominate (docs/benchmarks.md). The batched forms keep every guarantee per run and cut the commits.
-- complete_runs completes many attempts, each with its last events, in one transaction and answers
-- per item: accepted | duplicate | rejected (dead lease, recorded as a lease.rejected event, code
-- PT409) | not_found (PT404) | not_started (PT422). Attempts are locked in id order, so two batches
-- never deadlock each other.

create function public.complete_runs(executor_id uuid, items jsonb, as_of timestamptz default null)
returns table (
    item integer,
    lease uuid,
    outcome text,
    code text,
    message text,
    run_id uuid,
    attempt_id uuid,
    attempt_no integer,
    attempt_status text,
    run_status text,
    events_accepted integer
)
language plpgsql
security definer
set search_path = ''
-- The batched lease calls look attempts up by lease token, id and run (= any(array)) and must probe
-- those indexes, never scan the table: PL/pgSQL keeps the plan it made while the queue tables were
-- nearly empty (a sequential scan) for the life of the pooled connection. Measured on a fresh stack,
-- 8 executors draining 20,000 runs: complete_runs took 34 ms a call instead of 6 (docs/benchmarks.md).
set enable_seqscan = off
as $$
#variable_conflict use_column
declare
    v_as_of timestamptz := coalesce(complete_runs.as_of, pg_catalog.now());
    v_count integer;
    v_events jsonb;
    v_event_items integer[];
    v_event_indexes integer[];
    v_problem record;
    v_leases uuid[];
    v_before_leases uuid[];
    v_before_status text[];
    v_event_attempts uuid[];
    v_event_counts integer[];
    v_foreign boolean;
begin
    perform private.assert_executor(complete_runs.executor_id);
    if pg_catalog.jsonb_typeof(complete_runs.items) is distinct from 'array' then
        raise exception 'items must be a JSON array'
        using errcode = '22023',
        detail = pg_catalog.format('Got %s.', coalesce(pg_catalog.jsonb_typeof(complete_runs.items), 'null')),
        hint = 'Pass e.g. [{"lease": "8c0f…", "result": {}, "events": []}].';
    end if;
    v_count := pg_catalog.jsonb_array_length(complete_runs.items);
    if v_count > 100 then
        raise exception 'at most 100 items per call, got %', v_count
        using errcode = 'PT413',
        detail = 'complete_runs completes one bounded batch per call.',
        hint = 'Split the batch into chunks of at most 100 items.';
    end if;

    select i.ordinality - 1 as idx, p.problem into v_problem
    from pg_catalog.jsonb_array_elements(complete_runs.items) with ordinality as i (value, ordinality)
    cross join lateral (
        select case
            when pg_catalog.jsonb_typeof(i.value) <> 'object' then 'is not an object'
            when pg_catalog.jsonb_typeof(i.value -> 'lease') is distinct from 'string'
                or (i.value ->> 'lease') !~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
                then 'lease must be a lease token (uuid string)'
            when pg_catalog.jsonb_typeof(i.value -> 'result') not in ('object', 'null')
                then 'result must be a JSON object'
            when pg_catalog.jsonb_typeof(i.value -> 'events') not in ('array', 'null')
                then 'events must be a JSON array'
            when exists (
                select from pg_catalog.jsonb_array_elements(complete_runs.items) with ordinality as o (value, ordinality)
                where o.ordinality < i.ordinality and o.value ->> 'lease' = i.value ->> 'lease'
            ) then 'repeats the lease of an earlier item'
        end as problem
    ) as p
    where p.problem is not null
    order by i.ordinality
    limit 1;
    if found then
        raise exception 'items[%] %', v_problem.idx, v_problem.problem
        using errcode = '22023',
        detail = 'Nothing of this batch was changed.',
        hint = 'Fix the item and send the batch again; completing twice is answered as a duplicate.';
    end if;

    -- Every item's events in one array, checked in one call of the shared rules; the flat index
    -- maps back to (item, event) for the message.
    select coalesce(pg_catalog.jsonb_agg(e.value order by i.ordinality, e.ordinality), '[]'),
        coalesce(pg_catalog.array_agg((i.ordinality - 1)::integer order by i.ordinality, e.ordinality), '{}'),
        coalesce(pg_catalog.array_agg((e.ordinality - 1)::integer order by i.ordinality, e.ordinality), '{}')
    into v_events, v_event_items, v_event_indexes
    from pg_catalog.jsonb_array_elements(complete_runs.items) with ordinality as i (value, ordinality)
    cross join lateral pg_catalog.jsonb_array_elements(
        case when pg_catalog.jsonb_typeof(i.value -> 'events') = 'array' then i.value -> 'events' else '[]' end
    ) with ordinality as e (value, ordinality);
    if pg_catalog.jsonb_array_length(v_events) > 1000 then
        raise exception 'at most 1000 events per call, got %', pg_catalog.jsonb_array_length(v_events)
        using errcode = 'PT413',
        detail = 'complete_runs stores the last events of its items in one bounded batch.',
        hint = 'Send the events with emit_events first, or split the batch.';
    end if;
    select f.idx, f.problem into v_problem from private.first_event_problem(v_events) as f;
    if found then
        raise exception 'items[%].events[%] %',
            v_event_items[v_problem.idx + 1], v_event_indexes[v_problem.idx + 1], v_problem.problem
        using errcode = '22023',
        detail = 'Nothing of this batch was changed.',
        hint = 'Fix the event and send the batch again; events with a seq are deduplicated.';
    end if;

    v_leases := array(
        select (i.value ->> 'lease')::uuid from pg_catalog.jsonb_array_elements(complete_runs.items) as i (value)
    );

    -- Lock in id order (no deadlock between batches), remember each attempt's status before, and
    -- check that every attempt belongs to the caller's credential, in one statement.
    select coalesce(pg_catalog.array_agg(l.lease_token), '{}'), coalesce(pg_catalog.array_agg(l.status), '{}'),
        coalesce(pg_catalog.bool_or(l.foreign_lease), false)
    into v_before_leases, v_before_status, v_foreign
    from (
        select a.lease_token, a.status,
            not exists (
                select from public.executors as x
                where x.id = a.executor_id and x.token_sub = (select auth.uid())
            ) as foreign_lease
        from public.run_attempts as a
        where a.lease_token = any(v_leases)
        order by a.id
        for no key update of a
    ) as l;
    if v_foreign then
        raise exception 'a lease belongs to another executor credential'
        using errcode = '42501',
        detail = 'Only the credential that claimed an attempt may use its lease. Nothing was changed.',
        hint = 'Use the leases returned by your own claim_runs calls.';
    end if;

    -- Every lookup below names its leases with = any(array): the planner then probes the
    -- lease_token index instead of scanning it whole against the parsed items (no statistics).

    -- The last events of the attempts that are running, before they close.
    begin
        with ins as (
            insert into public.run_events as ev (
                run_id, attempt_id, workspace_id, seq, source, type, level, phase, message, payload, ts
            )
            select a.run_id, a.id, a.workspace_id, (e.value ->> 'seq')::integer,
                'executor', e.value ->> 'type', coalesce(e.value ->> 'level', 'info'), e.value ->> 'phase',
                e.value ->> 'message', coalesce(e.value -> 'payload', '{}'::jsonb),
                coalesce((e.value ->> 'ts')::timestamptz, v_as_of)
            from pg_catalog.jsonb_array_elements(complete_runs.items) with ordinality as i (value, ordinality)
            inner join public.run_attempts as a
                on a.lease_token = any(v_leases) and a.lease_token = (i.value ->> 'lease')::uuid
            cross join lateral pg_catalog.jsonb_array_elements(
                case when pg_catalog.jsonb_typeof(i.value -> 'events') = 'array' then i.value -> 'events' else '[]' end
            ) with ordinality as e (value, ordinality)
            where a.status = 'running'
            order by i.ordinality, e.ordinality
            on conflict on constraint run_events_attempt_id_seq_key do nothing
            returning ev.attempt_id
        )
        select coalesce(pg_catalog.array_agg(c.attempt_id), '{}'), coalesce(pg_catalog.array_agg(c.n), '{}')
        into v_event_attempts, v_event_counts
        from (select ins.attempt_id, pg_catalog.count(*)::integer as n from ins group by ins.attempt_id) as c;
    exception
        when invalid_datetime_format or datetime_field_overflow then
            raise exception 'an event has an invalid ts'
            using errcode = '22023',
            detail = 'ts must be an ISO 8601 timestamp. Nothing of this batch was changed.',
            hint = 'Send timestamps like 2026-11-26T03:00:00Z.';
    end;

    with done as (
        update public.run_attempts as a
        set status = 'succeeded', finished_at = v_as_of,
            result = nullif(i.value -> 'result', 'null'::jsonb)
        from pg_catalog.jsonb_array_elements(complete_runs.items) as i (value)
        where a.lease_token = any(v_leases) and a.lease_token = (i.value ->> 'lease')::uuid and a.status = 'running'
        returning a.run_id, a.attempt_no, a.executor_id
    )
    update public.runs as r
    set status = 'succeeded',
        finished_at = v_as_of,
        status_changed_at = v_as_of,
        status_changed_by = 'executor:' || d.executor_id::text,
        status_reason = pg_catalog.format('succeeded (attempt %s)', d.attempt_no),
        updated_at = v_as_of
    from done as d
    where r.id = d.run_id;

    -- Fencing, as in reject_dead_lease: a closed attempt that did not succeed changes nothing,
    -- and the refusal is recorded (skipped, not run empty, when every lease is live or done).
    if v_before_status && array['failed', 'cancelled', 'lost', 'timed_out'] then
        insert into public.run_events (
            run_id, attempt_id, workspace_id, source, type, level, message, payload, ts
        )
        select a.run_id, a.id, a.workspace_id, 'system', 'lease.rejected', 'warning',
            pg_catalog.format(
                'complete_runs refused: lease of attempt %s of run %s is no longer valid: the attempt is %s',
                a.attempt_no, a.run_id, a.status
            ),
            pg_catalog.jsonb_build_object(
                'rpc', 'complete_runs', 'attempt_no', a.attempt_no, 'attempt_status', a.status,
                'run_status', r.status
            ),
            v_as_of
        from rows from (pg_catalog.unnest(v_before_leases), pg_catalog.unnest(v_before_status)) as b (lease_token, status)
        inner join public.run_attempts as a on a.lease_token = any(v_before_leases) and a.lease_token = b.lease_token
        inner join public.runs as r on r.id = a.run_id
        where b.status not in ('claimed', 'running', 'succeeded')
        order by a.id;
    end if;

    return query
    select (i.ordinality - 1)::integer,
        (i.value ->> 'lease')::uuid,
        case
            when a.id is null then 'not_found'
            when b.status = 'running' then 'accepted'
            when b.status = 'succeeded' then 'duplicate'
            when b.status = 'claimed' then 'not_started'
            else 'rejected'
        end,
        case
            when a.id is null then 'PT404'
            when b.status in ('running', 'succeeded') then null
            when b.status = 'claimed' then 'PT422'
            else 'PT409'
        end,
        case
            when a.id is null then 'no attempt holds this lease'
            when b.status in ('running', 'succeeded') then null
            when b.status = 'claimed' then 'attempt was never started: call start_run first'
            else pg_catalog.format('lease is no longer valid: the attempt is %s; stop working on this run', a.status)
        end,
        a.run_id, a.id, a.attempt_no, a.status, r.status,
        case when b.status = 'running' then coalesce(ev.n, 0) else 0 end
    from pg_catalog.jsonb_array_elements(complete_runs.items) with ordinality as i (value, ordinality)
    left join public.run_attempts as a
        on a.lease_token = any(v_before_leases) and a.lease_token = (i.value ->> 'lease')::uuid
    left join public.runs as r on r.id = a.run_id
    left join rows from (pg_catalog.unnest(v_before_leases), pg_catalog.unnest(v_before_status)) as b (lease_token, status)
        on b.lease_token = a.lease_token
    left join rows from (pg_catalog.unnest(v_event_attempts), pg_catalog.unnest(v_event_counts)) as ev (attempt_id, n)
        on ev.attempt_id = a.id
    order by i.ordinality;
end
$$;

comment on function public.complete_runs(uuid, jsonb, timestamptz) is
'Completes up to 100 attempts of the caller''s credential in one transaction, each item {lease, result?, events?} with the attempt''s last events (at most 1000 in all). Answers per item, in order: accepted, duplicate (already succeeded), rejected (PT409: dead lease, recorded as a lease.rejected event), not_found (PT404) or not_started (PT422); malformed input changes nothing (22023).';

revoke execute on function public.complete_runs(uuid, jsonb, timestamptz)
from public, anon, authenticated, service_role;
grant execute on function public.complete_runs(uuid, jsonb, timestamptz) to controlroom_executor;
