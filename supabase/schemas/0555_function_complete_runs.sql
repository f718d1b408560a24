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

comment on function public.complete_runs(uuid, jsonb, timestamptz) is
'Completes up to 100 attempts of the caller''s credential in one transaction, each item {lease, result?, events?} with the attempt''s last events (at most 1000 in all). Answers per item, in order: accepted, duplicate (already succeeded), rejected (PT409: dead lease, recorded as a lease.rejected event), not_found (PT404) or not_started (PT422); malformed input changes nothing (22023).';

revoke execute on function public.complete_runs(uuid, jsonb, timestamptz)
from public, anon, authenticated, service_role;
grant execute on function public.complete_runs(uuid, jsonb, timestamptz) to controlroom_executor;
