-- Why: an event with "phase": null (a run-level event, e.g. artifact.failed outside any phase) was
-- refused, and with it the whole batch of emit_events or complete_runs; an absent phase was accepted
-- and a null message too. The event rules now read a null phase as an absent one, for every client.

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
            -- A null phase is a run-level event, like an absent one (message is treated the same way).
            when pg_catalog.jsonb_typeof(e.value -> 'phase') not in ('string', 'null')
                or pg_catalog.char_length(e.value ->> 'phase') not between 1 and 200
                then 'phase must be null or a string of 1 to 200 characters'
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
