-- Executors are untrusted, stateless and may be zombies (paused, partitioned, killed and
-- restarted). Every write they make goes through the executor RPCs and carries the attempt's lease
-- token, so the database alone decides whether the write still counts (fencing). A write with a
-- dead lease changes nothing and is answered with HTTP 409 (PT409); the rejection is recorded as
-- a run event in the same, committed, transaction (see docs/architecture.md, "Control plane").
--
-- Events are batched by the executor and stored in one statement per batch; the rules live in
-- private.first_event_problem (0509), which complete_runs shares.

create function public.emit_events(lease uuid, events jsonb, as_of timestamptz default null)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_as_of timestamptz := private.clock(emit_events.as_of);
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

revoke execute on function public.emit_events(uuid, jsonb, timestamptz)
from public, anon, authenticated, service_role;
grant execute on function public.emit_events(uuid, jsonb, timestamptz) to controlroom_executor;
