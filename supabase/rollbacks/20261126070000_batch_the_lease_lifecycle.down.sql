-- Rollback of 20261126070000_batch_the_lease_lifecycle: complete_runs and the start flag of
-- claim_runs go; claim_runs and emit_events are re-created exactly as 20261126030600 made them.

drop function public.complete_runs(uuid, jsonb, timestamptz);
drop function public.claim_runs(uuid, integer, text, jsonb, timestamptz, boolean);

create function public.claim_runs(
    executor_id uuid,
    max_runs integer default 1,
    pool text default null,
    labels jsonb default null,
    as_of timestamptz default null
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
begin
    v_executor := private.assert_executor(claim_runs.executor_id);
    if claim_runs.max_runs is null or claim_runs.max_runs not between 1 and 100 then
        raise exception 'max_runs must be between 1 and 100'
        using errcode = '22023',
        detail = pg_catalog.format('Got %s.', coalesce(claim_runs.max_runs::text, 'null')),
        hint = 'Claim what the executor can run now.';
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

    return query
    with picked as (
        select r.id, r.workspace_id, r.spec_id, r.params, r.priority, r.attempt_count,
            r.score, r.created_at
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
        insert into public.run_attempts as a (
            run_id, workspace_id, attempt_no, executor_id, status, claimed_at, heartbeat_at,
            heartbeat_tolerance, lease_expires_at
        )
        select p.id, p.workspace_id, p.attempt_count + 1, v_executor.id, 'claimed', v_as_of, v_as_of,
            s.heartbeat_tolerance, v_as_of + s.heartbeat_tolerance
        from picked as p
        inner join public.pipeline_specs as s on s.id = p.spec_id
        returning a.id, a.run_id, a.attempt_no, a.lease_token, a.lease_expires_at, a.heartbeat_tolerance
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
        returning r.id, r.deadline_at
    )
    select a.run_id, a.id, a.attempt_no, a.lease_token, a.lease_expires_at,
        extract(epoch from a.heartbeat_tolerance)::double precision,
        c.deadline_at, p.workspace_id, s.id, s.name, s.version, s.spec_hash, s.body, p.params, p.priority
    from attempts as a
    inner join claimed as c on c.id = a.run_id
    inner join picked as p on p.id = a.run_id
    inner join public.pipeline_specs as s on s.id = p.spec_id
    order by p.score desc, p.created_at, p.id;
end
$$;

comment on function public.claim_runs(uuid, integer, text, jsonb, timestamptz) is
'Claims up to max_runs queued runs of the executor''s pool whose not_before has passed and whose required labels the executor has, in score order, in one statement (FOR UPDATE SKIP LOCKED). Returns per run the attempt, its lease token and what the executor needs to run it.';

revoke execute on function public.claim_runs(uuid, integer, text, jsonb, timestamptz)
from public, anon, authenticated, service_role;
grant execute on function public.claim_runs(uuid, integer, text, jsonb, timestamptz) to controlroom_executor;

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

    select e.ordinality - 1 as idx, p.problem into v_problem
    from pg_catalog.jsonb_array_elements(emit_events.events) with ordinality as e (value, ordinality)
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

drop function private.first_event_problem(jsonb);
