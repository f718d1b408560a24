-- The one completion path: complete_run (0550) is a batch of one over it, complete_runs (0555) a
-- batch of up to 100. Locks, fencing and the run transition live here.

create function private.complete_attempts(items jsonb, rpc text, as_of timestamptz)
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
set search_path = ''
as $$
#variable_conflict use_column
declare
    v_leases uuid[];
    v_before_leases uuid[];
    v_before_status text[];
    v_dead uuid[];
    v_foreign boolean;
    v_event_attempts uuid[];
    v_event_counts integer[];
    v_changes private.run_change[];
begin
    -- The items were checked by the caller (private.first_completion_problem and
    -- private.first_event_problem). Every lookup below names its leases with = any(array): the
    -- planner then probes the lease_token index instead of scanning it against the parsed items.
    v_leases := array(
        select (i.value ->> 'lease')::uuid
        from pg_catalog.jsonb_array_elements(complete_attempts.items) as i (value)
    );

    -- GUARD: two batches completing overlapping attempts lock them in id order, so they never
    -- deadlock; the status each attempt had before this call decides its answer.
    select coalesce(pg_catalog.array_agg(l.lease_token), '{}'), coalesce(pg_catalog.array_agg(l.status), '{}'),
        coalesce(pg_catalog.array_agg(l.id) filter (
            where not l.status = any(private.live_attempt_statuses()) and l.status <> 'succeeded'
        ), '{}'),
        coalesce(pg_catalog.bool_or(l.foreign_lease), false)
    into v_before_leases, v_before_status, v_dead, v_foreign
    from (
        select a.id, a.lease_token, a.status,
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

    -- The last events of the attempts that are running, stored before they close. A dead lease's
    -- events are dropped with the rest of its write.
    if pg_catalog.jsonb_path_exists(complete_attempts.items, '$[*].events[0]') then
        begin
            with ins as (
                insert into public.run_events as ev (
                    run_id, attempt_id, workspace_id, seq, source, type, level, phase, message, payload, ts
                )
                select a.run_id, a.id, a.workspace_id, (e.value ->> 'seq')::integer,
                    'executor', e.value ->> 'type', coalesce(e.value ->> 'level', 'info'), e.value ->> 'phase',
                    e.value ->> 'message', coalesce(e.value -> 'payload', '{}'::jsonb),
                    coalesce((e.value ->> 'ts')::timestamptz, complete_attempts.as_of)
                from pg_catalog.jsonb_array_elements(complete_attempts.items) with ordinality as i (value, ordinality)
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
    end if;

    -- GUARD: only a running attempt completes; a succeeded one is a duplicate (changes nothing),
    -- a claimed one was never started, a closed one is a dead lease.
    with done as (
        update public.run_attempts as a
        set status = 'succeeded', finished_at = complete_attempts.as_of,
            result = nullif(i.value -> 'result', 'null'::jsonb)
        from pg_catalog.jsonb_array_elements(complete_attempts.items) as i (value)
        where a.lease_token = any(v_leases) and a.lease_token = (i.value ->> 'lease')::uuid and a.status = 'running'
        returning a.run_id, a.attempt_no, a.executor_id
    )
    select pg_catalog.array_agg(row(
        d.run_id, 'succeeded', 'executor:' || d.executor_id::text,
        pg_catalog.format('succeeded (attempt %s)', d.attempt_no), null, null
    )::private.run_change)
    into v_changes
    from done as d;
    if v_changes is not null then
        perform private.transition_runs(v_changes, complete_attempts.as_of);
    end if;

    -- Fencing: each dead lease is recorded (skipped, not run empty, when there is none).
    if pg_catalog.cardinality(v_dead) > 0 then
        perform private.reject_dead_leases(v_dead, complete_attempts.rpc, complete_attempts.as_of);
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
    from pg_catalog.jsonb_array_elements(complete_attempts.items) with ordinality as i (value, ordinality)
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

comment on function private.complete_attempts(jsonb, text, timestamptz) is
'Completes the attempts of checked completion items of the caller''s credential (events first, then attempt and run succeeded) and answers per item: accepted | duplicate | not_started (PT422) | rejected (PT409, recorded as lease.rejected by rpc) | not_found (PT404). The one completion path of complete_run and complete_runs.';
