-- Why: a run costs its executor three lease calls (claim, start, complete) plus an event flush,
-- each its own committed transaction. On a small machine the commit (WAL flush) and the
-- per-statement trigger work dominate: draining a deep queue with 32 executors stalled at about
-- 400 runs/s (docs/benchmarks.md). Two batched forms keep every guarantee per run and cut the
-- commits per run from four to two per batch:
--   * claim_runs(..., start => true) claims and starts the runs in one transaction, for an
--     executor that runs what it claims at once (both transitions are still audited);
--   * complete_runs(executor_id, items) completes many attempts, each with its last events, in one
--     transaction and answers per item: accepted | duplicate | rejected (dead lease, recorded as
--     a lease.rejected event, code PT409) | not_found (PT404) | not_started (PT422).
-- Attempts are locked in id order, so two batches never deadlock each other. The event rules
-- move into private.first_event_problem, which emit_events (re-created here, unchanged otherwise)
-- and complete_runs share.

-- The event rules, in one place: emit_events and complete_runs both ask for the first problem ----

create function private.first_event_problem(events jsonb)
returns table (idx integer, problem text)
language plpgsql
immutable
parallel safe
set search_path = ''
-- PL/pgSQL, not SQL: the function cannot be inlined (it pins search_path), and a SQL function
-- would plan its query again on every call; PL/pgSQL keeps the plan for the session.
as $$
begin
    return query
    select (e.ordinality - 1)::integer, p.problem
    from pg_catalog.jsonb_array_elements(first_event_problem.events) with ordinality as e (value, ordinality)
    cross join lateral (
        select case
            when pg_catalog.jsonb_typeof(e.value) <> 'object' then 'is not an object'
            when pg_catalog.jsonb_typeof(e.value -> 'type') is distinct from 'string'
                or e.value ->> 'type' !~ '^[a-z][a-z0-9_.-]{0,99}$'
                then 'type must be a lower-case dotted name of at most 100 characters'
            when e.value ? 'level' and coalesce(e.value ->> 'level', '')
                not in ('debug', 'info', 'warning', 'error', 'critical')
                then 'level must be debug, info, warning, error or critical'
            when e.value ? 'seq' and (pg_catalog.jsonb_typeof(e.value -> 'seq') <> 'number'
                or e.value ->> 'seq' !~ '^[0-9]{1,9}$')
                then 'seq must be a non-negative integer below 10^9'
            when e.value ? 'phase' and (pg_catalog.jsonb_typeof(e.value -> 'phase') <> 'string'
                or pg_catalog.char_length(e.value ->> 'phase') not between 1 and 200)
                then 'phase must be a string of 1 to 200 characters'
            when e.value ? 'message' and pg_catalog.jsonb_typeof(e.value -> 'message') not in ('string', 'null')
                then 'message must be a string'
            when pg_catalog.char_length(e.value ->> 'message') > 16384
                then 'message has more than 16384 characters'
            when e.value ? 'payload' and pg_catalog.jsonb_typeof(e.value -> 'payload') <> 'object'
                then 'payload must be an object'
            when pg_catalog.octet_length((e.value -> 'payload')::text) > 65536
                then 'payload is larger than 64 KiB'
            when e.value ? 'ts' and (pg_catalog.jsonb_typeof(e.value -> 'ts') <> 'string'
                or e.value ->> 'ts' !~ '^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}')
                then 'ts must be an ISO 8601 timestamp string'
        end as problem
    ) as p
    where p.problem is not null
    order by e.ordinality
    limit 1;
end
$$;

comment on function private.first_event_problem(jsonb) is
'The first invalid event of an array of executor events (index from 0 and what is wrong), or no row: the rules of emit_events and complete_runs.';

-- emit_events, on the shared rules (same signature, same behaviour) -------------------------

create or replace function public.emit_events(lease uuid, events jsonb, as_of timestamptz default null)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_as_of timestamptz := coalesce(emit_events.as_of, pg_catalog.now());
    v_attempt public.run_attempts;
    v_count integer;
    v_inserted integer;
    v_problem record;
begin
    perform private.assert_executor_role();
    if pg_catalog.jsonb_typeof(emit_events.events) is distinct from 'array' then
        raise exception 'events must be a JSON array'
        using errcode = '22023',
        detail = pg_catalog.format('Got %s.', coalesce(pg_catalog.jsonb_typeof(emit_events.events), 'null')),
        hint = 'Pass a list of event objects.';
    end if;
    v_count := pg_catalog.jsonb_array_length(emit_events.events);
    if v_count > 1000 then
        raise exception 'at most 1000 events per call, got %', v_count
        using errcode = 'PT413',
        detail = 'emit_events ingests one bounded batch per call.',
        hint = 'Split the batch into chunks of at most 1000 events.';
    end if;

    v_attempt := private.lock_lease(emit_events.lease);
    if not private.lease_is_live(v_attempt) then
        return private.reject_dead_lease(v_attempt, 'emit_events', v_as_of);
    end if;

    select f.idx, f.problem into v_problem from private.first_event_problem(emit_events.events) as f;
    if found then
        raise exception 'events[%] %', v_problem.idx, v_problem.problem
        using errcode = '22023',
        detail = 'Nothing of this batch was stored.',
        hint = 'Fix the event and send the batch again; events with a seq are deduplicated.';
    end if;

    begin
        insert into public.run_events (
            run_id, attempt_id, workspace_id, seq, source, type, level, phase, message, payload, ts
        )
        select v_attempt.run_id, v_attempt.id, v_attempt.workspace_id, (e.value ->> 'seq')::integer,
            'executor', e.value ->> 'type', coalesce(e.value ->> 'level', 'info'), e.value ->> 'phase',
            e.value ->> 'message', coalesce(e.value -> 'payload', '{}'::jsonb),
            coalesce((e.value ->> 'ts')::timestamptz, v_as_of)
        from pg_catalog.jsonb_array_elements(emit_events.events) with ordinality as e (value, ordinality)
        order by e.ordinality
        on conflict on constraint run_events_attempt_id_seq_key do nothing;
        get diagnostics v_inserted = row_count;
    exception
        when invalid_datetime_format or datetime_field_overflow then
            raise exception 'an event has an invalid ts'
            using errcode = '22023',
            detail = 'ts must be an ISO 8601 timestamp.',
            hint = 'Send timestamps like 2026-11-26T03:00:00Z.';
    end;
    return pg_catalog.jsonb_build_object(
        'outcome', 'accepted',
        'run_id', v_attempt.run_id,
        'attempt_id', v_attempt.id,
        'accepted', v_inserted,
        'duplicates', v_count - v_inserted
    );
end
$$;

comment on function public.emit_events(uuid, jsonb, timestamptz) is
'Stores a batch of at most 1000 events of a live attempt in one statement ({type, level?, phase?, message?, payload?, ts?, seq?}); a re-sent (attempt, seq) is skipped. More than 1000: PT413. Dead lease: 409 PT409.';

-- claim_runs, with start ---------------------------------------------------------------------

drop function public.claim_runs(uuid, integer, text, jsonb, timestamptz);

create function public.claim_runs(
    executor_id uuid,
    max_runs integer default 1,
    pool text default null,
    labels jsonb default null,
    as_of timestamptz default null,
    start boolean default false
)
returns table (
    run_id uuid,
    attempt_id uuid,
    attempt_no integer,
    lease_token uuid,
    lease_expires_at timestamptz,
    heartbeat_tolerance_seconds double precision,
    deadline_at timestamptz,
    workspace_id uuid,
    spec_id uuid,
    spec_name text,
    spec_version text,
    spec_hash text,
    spec_body jsonb,
    params jsonb,
    priority integer
)
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
    v_as_of timestamptz := coalesce(claim_runs.as_of, pg_catalog.now());
    v_executor public.executors;
    v_labels jsonb;
    v_run_ids uuid[];
begin
    v_executor := private.assert_executor(claim_runs.executor_id);
    if claim_runs.max_runs is null or claim_runs.max_runs not between 1 and 100 then
        raise exception 'max_runs must be between 1 and 100'
        using errcode = '22023',
        detail = pg_catalog.format('Got %s.', coalesce(claim_runs.max_runs::text, 'null')),
        hint = 'Claim what the executor can run now.';
    end if;
    if claim_runs.start is null then
        raise exception 'start must be true or false'
        using errcode = '22023',
        detail = 'Got null.',
        hint = 'Pass start => true to claim and start in one call, or omit it.';
    end if;
    if claim_runs.pool is not null and claim_runs.pool <> v_executor.pool then
        raise exception 'executor % claims from pool %, not %', v_executor.id, v_executor.pool, claim_runs.pool
        using errcode = '42501',
        detail = 'An executor claims only from the pool of its token.',
        hint = 'Omit pool, or register an executor with a token for that pool.';
    end if;
    v_labels := coalesce(claim_runs.labels, v_executor.labels);
    if pg_catalog.jsonb_typeof(v_labels) <> 'object' then
        raise exception 'labels must be a JSON object'
        using errcode = '22023',
        detail = pg_catalog.format('Got %s.', pg_catalog.jsonb_typeof(v_labels)),
        hint = 'Omit labels to use the registered ones.';
    end if;

    update public.executors as x set last_seen_at = greatest(x.last_seen_at, v_as_of)
    where x.id = v_executor.id;

    with picked as (
        select r.id, r.workspace_id, r.spec_id, r.attempt_count
        from public.runs as r
        where r.status = 'queued'
          and r.pool = v_executor.pool
          and r.not_before <= v_as_of
          and r.required_labels <@ v_labels
          and (v_executor.workspace_id is null or r.workspace_id = v_executor.workspace_id)
        order by r.score desc, r.created_at, r.id
        limit claim_runs.max_runs
        for update of r skip locked
    ),
    attempts as (
        -- Started at once, the attempt is running from its first row; the run still passes
        -- through claimed (below), so the audit shows both steps.
        insert into public.run_attempts as a (
            run_id, workspace_id, attempt_no, executor_id, status, claimed_at, started_at, heartbeat_at,
            heartbeat_tolerance, lease_expires_at
        )
        select p.id, p.workspace_id, p.attempt_count + 1, v_executor.id,
            case when claim_runs.start then 'running' else 'claimed' end,
            v_as_of, case when claim_runs.start then v_as_of end, v_as_of,
            s.heartbeat_tolerance, v_as_of + s.heartbeat_tolerance
        from picked as p
        inner join public.pipeline_specs as s on s.id = p.spec_id
        returning a.run_id, a.attempt_no
    ),
    claimed as (
        update public.runs as r
        set status = 'claimed',
            attempt_count = a.attempt_no,
            first_claimed_at = coalesce(r.first_claimed_at, v_as_of),
            deadline_at = coalesce(r.deadline_at, v_as_of + s.max_run_duration),
            status_changed_at = v_as_of,
            status_changed_by = 'executor:' || v_executor.id::text,
            status_reason = pg_catalog.format('claimed (attempt %s)', a.attempt_no),
            updated_at = v_as_of
        from attempts as a, public.pipeline_specs as s
        where r.id = a.run_id and s.id = r.spec_id
        returning r.id
    )
    select coalesce(pg_catalog.array_agg(c.id), '{}') into v_run_ids from claimed as c;

    if claim_runs.start and pg_catalog.cardinality(v_run_ids) > 0 then
        update public.runs as r
        set status = 'running',
            status_changed_at = v_as_of,
            status_changed_by = 'executor:' || v_executor.id::text,
            status_reason = pg_catalog.format('started (attempt %s)', r.attempt_count),
            updated_at = v_as_of
        where r.id = any(v_run_ids);
    end if;

    return query
    select a.run_id, a.id, a.attempt_no, a.lease_token, a.lease_expires_at,
        extract(epoch from a.heartbeat_tolerance)::double precision,
        r.deadline_at, r.workspace_id, s.id, s.name, s.version, s.spec_hash, s.body, r.params, r.priority
    from public.runs as r
    inner join public.run_attempts as a on a.run_id = r.id and a.attempt_no = r.attempt_count
    inner join public.pipeline_specs as s on s.id = r.spec_id
    where r.id = any(v_run_ids)
    order by r.score desc, r.created_at, r.id;
end
$$;

comment on function public.claim_runs(uuid, integer, text, jsonb, timestamptz, boolean) is
'Claims up to max_runs queued runs of the executor''s pool whose not_before has passed and whose required labels the executor has, in score order (FOR UPDATE SKIP LOCKED). With start => true the runs are also started (claimed -> running, both audited) in the same transaction, for an executor that runs them at once. Returns per run the attempt, its lease token and what the executor needs to run it.';

-- complete_runs ------------------------------------------------------------------------------

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

-- Grants: executors only, by full signature --------------------------------------------------

revoke execute on function public.claim_runs(uuid, integer, text, jsonb, timestamptz, boolean)
from public, anon, authenticated, service_role;
revoke execute on function public.complete_runs(uuid, jsonb, timestamptz) from public, anon, authenticated, service_role;
grant execute on function public.claim_runs(uuid, integer, text, jsonb, timestamptz, boolean) to controlroom_executor;
grant execute on function public.complete_runs(uuid, jsonb, timestamptz) to controlroom_executor;
