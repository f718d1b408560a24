-- Rollback of 20261130010000_write_each_lease_rule_once: the lease functions get their previous
-- bodies back (each as its newest earlier migration left it), the new helpers and the run_change
-- type are dropped, and pg_cron calls requeue_stale_runs() in one transaction again.

set lock_timeout = '5s';
set statement_timeout = '60s';

create or replace function private.run_status_is_terminal(status text)
returns boolean
language sql
immutable
parallel safe
set search_path = ''
as $$
    select run_status_is_terminal.status in ('succeeded', 'failed', 'cancelled', 'timed_out')
$$;

create or replace function private.lease_is_live(attempt public.run_attempts)
returns boolean
language sql
immutable
set search_path = ''
as $$
    select (lease_is_live.attempt).finished_at is null
$$;

create or replace function private.reject_dead_lease(attempt public.run_attempts, rpc text, as_of timestamptz)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
    v_run_status text;
    v_message text;
begin
    select r.status into v_run_status from public.runs as r where r.id = reject_dead_lease.attempt.run_id;
    v_message := pg_catalog.format(
        'lease of attempt %s of run %s is no longer valid: the attempt is %s',
        (reject_dead_lease.attempt).attempt_no, (reject_dead_lease.attempt).run_id,
        (reject_dead_lease.attempt).status
    );

    insert into public.run_events (
        run_id, attempt_id, workspace_id, source, type, level, message, payload, ts
    )
    values (
        (reject_dead_lease.attempt).run_id, (reject_dead_lease.attempt).id,
        (reject_dead_lease.attempt).workspace_id, 'system', 'lease.rejected', 'warning',
        reject_dead_lease.rpc || ' refused: ' || v_message,
        pg_catalog.jsonb_build_object(
            'rpc', reject_dead_lease.rpc,
            'attempt_no', (reject_dead_lease.attempt).attempt_no,
            'attempt_status', (reject_dead_lease.attempt).status,
            'run_status', v_run_status
        ),
        reject_dead_lease.as_of
    );

    -- PostgREST answers with this status and the returned body; the event above commits.
    perform pg_catalog.set_config('response.status', '409', true);
    return pg_catalog.jsonb_build_object(
        'outcome', 'rejected',
        'code', 'PT409',
        'message', v_message,
        'details', pg_catalog.format('%s changed nothing; run %s is %s.',
            reject_dead_lease.rpc, (reject_dead_lease.attempt).run_id, v_run_status),
        'hint', 'Stop working on this run: its lease was lost (requeued, timed out or finished). Do not retry.',
        'run_id', (reject_dead_lease.attempt).run_id,
        'attempt_id', (reject_dead_lease.attempt).id,
        'attempt_no', (reject_dead_lease.attempt).attempt_no,
        'attempt_status', (reject_dead_lease.attempt).status,
        'run_status', v_run_status
    );
end
$$;

create or replace function private.transition_run(
    run_id uuid,
    to_status text,
    actor text,
    reason text,
    as_of timestamptz,
    not_before timestamptz default null
)
returns public.runs
language plpgsql
set search_path = ''
as $$
declare
    v_run public.runs;
begin
    update public.runs as r
    set status = transition_run.to_status,
        not_before = coalesce(transition_run.not_before, r.not_before),
        finished_at = case
            when private.run_status_is_terminal(transition_run.to_status) then transition_run.as_of
        end,
        status_changed_at = transition_run.as_of,
        status_changed_by = transition_run.actor,
        status_reason = transition_run.reason,
        updated_at = transition_run.as_of
    where r.id = transition_run.run_id
    returning r.* into v_run;
    if not found then
        raise exception 'run % does not exist', transition_run.run_id
        using errcode = 'PT404',
        detail = 'No run has this id.',
        hint = 'Check the run id.';
    end if;
    return v_run;
end
$$;

comment on function private.transition_run(uuid, text, text, text, timestamptz, timestamptz) is
'Moves one run to to_status (the trigger checks the edge and writes the audit row). Set-based paths (claim, requeue) update the same columns in one statement.';

create or replace function public.complete_run(lease uuid, result jsonb default null, as_of timestamptz default null)
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

create or replace function public.heartbeat(executor_id uuid, leases jsonb, as_of timestamptz default null)
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
    v_as_of timestamptz := coalesce(heartbeat.as_of, pg_catalog.now());
    v_executor public.executors;
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
    if exists (
        select from pg_catalog.jsonb_array_elements(heartbeat.leases) as e
        where pg_catalog.jsonb_typeof(e.value) <> 'string'
            or (e.value #>> '{}') !~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
    ) then
        raise exception 'every lease must be a lease token (uuid string)'
        using errcode = '22023',
        detail = 'leases contains something that is not a uuid string.',
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
        update public.run_attempts as a
        set heartbeat_at = greatest(a.heartbeat_at, v_as_of),
            lease_expires_at = greatest(a.heartbeat_at, v_as_of) + a.heartbeat_tolerance
        from wanted as w
        where a.lease_token = w.lease_token
          and a.executor_id = v_executor.id
          and a.finished_at is null
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

create or replace function public.claim_runs(
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
set enable_seqscan = off
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

create or replace function public.complete_runs(executor_id uuid, items jsonb, as_of timestamptz default null)
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

create or replace function public.cancel_run(run_id uuid, reason text default null, as_of timestamptz default null)
returns public.runs
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
    v_as_of timestamptz := coalesce(cancel_run.as_of, pg_catalog.now());
    v_actor text := private.caller_actor();
    v_reason text := coalesce(nullif(cancel_run.reason, ''), 'cancel requested');
    v_run public.runs;
begin
    if v_actor is null then
        raise exception 'only workspace operators and the service role cancel runs'
        using errcode = '42501',
        detail = pg_catalog.format('The caller''s role is %s.', private.caller_role()),
        hint = 'Sign in as a workspace operator.';
    end if;
    if pg_catalog.char_length(v_reason) > 2000 then
        raise exception 'reason is too long'
        using errcode = '22023',
        detail = 'A reason has at most 2000 characters.',
        hint = 'Shorten the reason.';
    end if;

    select r.* into v_run from public.runs as r where r.id = cancel_run.run_id for update;
    if not found
        or (private.caller_role() = 'authenticated' and not private.is_member(v_run.workspace_id, 'viewer')) then
        raise exception 'run % does not exist', cancel_run.run_id
        using errcode = 'PT404',
        detail = 'No run with this id is visible to the caller.',
        hint = 'Check the run id.';
    end if;
    if private.caller_role() = 'authenticated' and not private.is_member(v_run.workspace_id, 'operator') then
        raise exception 'viewers cannot cancel runs'
        using errcode = '42501',
        detail = 'Cancelling needs the operator role in the workspace.',
        hint = 'Ask a workspace admin for the operator role.';
    end if;

    if v_run.status = 'cancelled' or (v_run.status in ('claimed', 'running') and v_run.cancel_requested_at is not null) then
        return v_run;  -- already cancelled or already asked: a repeated call changes nothing
    elsif private.run_status_is_terminal(v_run.status) then
        raise exception 'run % is already % and cannot be cancelled', v_run.id, v_run.status
        using errcode = 'PT422',
        detail = 'Terminal runs are final.',
        hint = 'Nothing to cancel.';
    end if;

    update public.runs as r
    set cancel_requested_at = v_as_of,
        cancel_requested_by = v_actor,
        cancel_reason = v_reason,
        updated_at = v_as_of
    where r.id = v_run.id
    returning r.* into v_run;

    if v_run.status = 'queued' then
        v_run := private.transition_run(v_run.id, 'cancelled', v_actor, v_reason, v_as_of);
    end if;
    return v_run;
end
$$;

create or replace function public.requeue_stale_runs(as_of timestamptz default null, workspace_id uuid default null)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_as_of timestamptz := coalesce(requeue_stale_runs.as_of, pg_catalog.now());
    v_timed_out bigint;
    v_summary jsonb;
begin
    if not private.caller_is_admin() then
        raise exception 'only the service role and pg_cron requeue stale runs'
        using errcode = '42501',
        detail = pg_catalog.format('The caller''s role is %s.', private.caller_role()),
        hint = 'pg_cron job controlroom_requeue_stale_runs calls it every minute.';
    end if;

    -- Runs past their maximum duration: attempt and run end as timed_out.
    with overdue as (
        select a.id as attempt_id, a.run_id, a.attempt_no, a.workspace_id
        from public.runs as r
        inner join public.run_attempts as a on a.run_id = r.id and a.finished_at is null
        where r.status in ('claimed', 'running')
          and r.deadline_at is not null
          and r.deadline_at < v_as_of
          and (requeue_stale_runs.workspace_id is null or r.workspace_id = requeue_stale_runs.workspace_id)
        for update of r, a skip locked
    ),
    closed as (
        update public.run_attempts as a
        set status = 'timed_out', finished_at = v_as_of, error_class = 'max_run_duration',
            error_message = 'the run exceeded the maximum run duration of its spec'
        from overdue as o
        where a.id = o.attempt_id
        returning a.id
    ),
    moved as (
        update public.runs as r
        set status = 'timed_out',
            finished_at = v_as_of,
            status_changed_at = v_as_of,
            status_changed_by = 'system:requeue',
            status_reason = pg_catalog.format('max run duration exceeded (deadline %s)', r.deadline_at),
            updated_at = v_as_of
        from overdue as o
        where r.id = o.run_id
        returning r.id
    ),
    noted as (
        insert into public.run_events (run_id, attempt_id, workspace_id, source, type, level, message, ts)
        select o.run_id, o.attempt_id, o.workspace_id, 'system', 'run.timed_out', 'error',
            pg_catalog.format('attempt %s timed out: maximum run duration exceeded', o.attempt_no), v_as_of
        from overdue as o
        returning 1
    )
    select pg_catalog.count(*) into v_timed_out from moved;

    -- Stale leases: the attempt is lost; the run is requeued, failed or cancelled.
    with stale as (
        select a.id as attempt_id, a.run_id, a.attempt_no, a.workspace_id, a.heartbeat_at,
            r.cancel_requested_at is not null as cancel_requested,
            a.attempt_no >= s.max_attempts as exhausted,
            s.max_attempts,
            private.retry_delay(a.attempt_no, s.backoff_base, s.backoff_max) as delay,
            s.backoff_jitter
        from public.run_attempts as a
        inner join public.runs as r on r.id = a.run_id
        inner join public.pipeline_specs as s on s.id = r.spec_id
        where a.finished_at is null
          and a.lease_expires_at < v_as_of
          and (requeue_stale_runs.workspace_id is null or a.workspace_id = requeue_stale_runs.workspace_id)
        for update of a, r skip locked
    ),
    decided as materialized (
        select st.*,
            case
                when st.cancel_requested then 'cancelled'
                when st.exhausted then 'failed'
                else 'queued'
            end as to_status,
            case
                when not st.cancel_requested and not st.exhausted
                    then private.retry_jitter(st.backoff_jitter)
            end as jitter
        from stale as st
    ),
    closed as (
        update public.run_attempts as a
        set status = 'lost',
            finished_at = v_as_of,
            error_class = 'lease_lost',
            error_message = pg_catalog.format('no heartbeat since %s', d.heartbeat_at),
            retry_delay = case when d.to_status = 'queued' then d.delay end,
            retry_jitter = d.jitter
        from decided as d
        where a.id = d.attempt_id
        returning a.id
    ),
    moved as (
        update public.runs as r
        set status = d.to_status,
            not_before = case when d.to_status = 'queued' then v_as_of + d.delay + d.jitter else r.not_before end,
            finished_at = case when d.to_status <> 'queued' then v_as_of end,
            status_changed_at = v_as_of,
            status_changed_by = 'system:requeue',
            status_reason = case d.to_status
                when 'cancelled' then pg_catalog.format(
                    'cancelled: lease of attempt %s went stale after the cancellation request', d.attempt_no
                )
                when 'failed' then pg_catalog.format(
                    'retries exhausted: lease of attempt %s of %s went stale', d.attempt_no, d.max_attempts
                )
                else pg_catalog.format(
                    'requeued: lease of attempt %s of %s went stale; retry after %s',
                    d.attempt_no, d.max_attempts, d.delay + d.jitter
                )
            end,
            updated_at = v_as_of
        from decided as d
        where r.id = d.run_id
        returning r.id
    ),
    noted as (
        insert into public.run_events (
            run_id, attempt_id, workspace_id, source, type, level, message, payload, ts
        )
        select d.run_id, d.attempt_id, d.workspace_id, 'system', 'attempt.lost', 'warning',
            pg_catalog.format('attempt %s lost its lease (no heartbeat since %s); run %s',
                d.attempt_no, d.heartbeat_at, d.to_status),
            pg_catalog.jsonb_build_object('to_status', d.to_status, 'attempt_no', d.attempt_no),
            v_as_of
        from decided as d
        returning 1
    )
    select pg_catalog.jsonb_build_object(
        'as_of', v_as_of,
        'requeued', pg_catalog.count(*) filter (where d.to_status = 'queued'),
        'failed', pg_catalog.count(*) filter (where d.to_status = 'failed'),
        'cancelled', pg_catalog.count(*) filter (where d.to_status = 'cancelled'),
        'timed_out', v_timed_out,
        'closed_attempts', (select pg_catalog.count(*) from closed) + v_timed_out,
        'moved_runs', (select pg_catalog.count(*) from moved) + v_timed_out
    ) into v_summary
    from decided as d;
    return v_summary;
end
$$;

select cron.unschedule(j.jobid)
from cron.job as j
where j.jobname = 'controlroom_requeue_stale_runs';

select cron.schedule(
    'controlroom_requeue_stale_runs',
    '* * * * *',
    'select public.requeue_stale_runs()'
);

drop function private.sweep_stale_runs(timestamptz, uuid, integer);
drop function private.complete_attempts(jsonb, text, timestamptz);
drop function private.transition_runs(private.run_change [], timestamptz);
drop type private.run_change;
drop function private.dead_lease_reply(public.run_attempts, text, text);
drop function private.reject_dead_leases(uuid [], text, timestamptz);
drop function private.dead_lease_message(integer, uuid, text);
drop function private.first_completion_problem(jsonb);
drop function private.first_lease_problem(jsonb);
drop function private.is_uuid(text);
drop function private.active_run_statuses();
drop function private.terminal_run_statuses();
drop function private.live_attempt_statuses();
