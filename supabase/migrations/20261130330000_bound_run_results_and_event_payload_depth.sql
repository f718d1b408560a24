-- Why: a run's result had no bound (a tenant's phase could store megabytes or a value nested a
-- thousand levels deep in run_attempts.result, and every reader decodes it), and event payloads,
-- capped at 64 KiB, could still nest deeper than any reader decodes. Results now have the bounds of
-- params (64 KiB, 32 levels; PT413 / 22023 naming the item, like private.assert_json_within says
-- for params and spec bodies), and an event payload may nest at most 32 levels.

set lock_timeout = '5s';
set statement_timeout = '60s';

create or replace function private.first_event_problem(events jsonb)
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
            -- Nesting deeper than 32 levels needs more than 64 characters of brackets: the depth walk
            -- (a constant path, planned once) runs only for payloads that could be that deep.
            when pg_catalog.octet_length((e.value -> 'payload')::text) > 64
                and pg_catalog.jsonb_path_exists(
                    e.value -> 'payload', 'strict $.**{32} ? (@.type() == "object" || @.type() == "array")'
                )
                then 'payload is nested deeper than 32 levels'
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

create or replace function public.complete_run(lease uuid, result jsonb default null, as_of timestamptz default null)
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
-- Lookups by lease, id and run must stay index probes whatever the cached plan saw (20261126070100).
set enable_seqscan = off
as $$
#variable_conflict use_column
declare
    v_as_of timestamptz := private.clock(complete_runs.as_of);
    v_count integer;
    v_events jsonb;
    v_event_items integer[];
    v_event_indexes integer[];
    v_problem record;
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

    select f.idx, f.problem into v_problem from private.first_completion_problem(complete_runs.items) as f;
    if found then
        raise exception 'items[%] %', v_problem.idx, v_problem.problem
        using errcode = '22023',
        detail = 'Nothing of this batch was changed.',
        hint = 'Fix the item and send the batch again; completing twice is answered as a duplicate.';
    end if;
    -- Results are bounded like params (private.assert_json_within); only a result long enough to be
    -- too large or too deep is looked at twice.
    select (i.ordinality - 1)::integer as idx, i.value -> 'result' as result into v_problem
    from pg_catalog.jsonb_array_elements(complete_runs.items) with ordinality as i (value, ordinality)
    where pg_catalog.jsonb_typeof(i.value -> 'result') = 'object'
        and pg_catalog.octet_length((i.value -> 'result')::text) > 64
        and (pg_catalog.octet_length((i.value -> 'result')::text) > 65536
            or private.jsonb_nests_deeper_than(i.value -> 'result', 32))
    order by i.ordinality
    limit 1;
    if found then
        perform private.assert_json_within(
            pg_catalog.format('items[%s].result', v_problem.idx), v_problem.result, 65536, 32,
            'Keep a run''s result to a small summary (at most 64 KiB, 32 levels); put the rest in an artifact.'
        );
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

    return query
    select c.item, c.lease, c.outcome, c.code, c.message, c.run_id, c.attempt_id, c.attempt_no,
        c.attempt_status, c.run_status, c.events_accepted
    from private.complete_attempts(complete_runs.items, 'complete_runs', v_as_of) as c;
end
$$;
