-- Input shape of the lease RPCs, checked by small helpers that return the first problem (like
-- private.first_event_problem, 0509): lease arrays (heartbeat) and completion items (complete_runs).

create function private.is_uuid(value text)
returns boolean
language sql
immutable
parallel safe
set search_path = ''
as $$
    select is_uuid.value ~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
$$;

comment on function private.is_uuid(text) is
'Whether a text is a uuid in its canonical 8-4-4-4-12 hex form (the shape of lease tokens and ids in JSON input).';

create function private.first_lease_problem(leases jsonb)
returns table (idx integer, problem text)
language plpgsql
immutable
parallel safe
set search_path = ''
as $$
begin
    return query
    select (e.ordinality - 1)::integer, 'is not a lease token (uuid string)'::text
    from pg_catalog.jsonb_array_elements(first_lease_problem.leases) with ordinality as e (value, ordinality)
    where pg_catalog.jsonb_typeof(e.value) <> 'string' or not private.is_uuid(e.value #>> '{}')
    order by e.ordinality
    limit 1;
end
$$;

comment on function private.first_lease_problem(jsonb) is
'The first element of a JSON array of lease tokens that is not a uuid string (index from 0 and what is wrong), or no row: the rule of heartbeat.';

create function private.first_completion_problem(items jsonb)
returns table (idx integer, problem text)
language plpgsql
immutable
parallel safe
set search_path = ''
as $$
begin
    return query
    select (i.ordinality - 1)::integer, p.problem
    from pg_catalog.jsonb_array_elements(first_completion_problem.items) with ordinality as i (value, ordinality)
    cross join lateral (
        select case
            when pg_catalog.jsonb_typeof(i.value) <> 'object' then 'is not an object'
            when pg_catalog.jsonb_typeof(i.value -> 'lease') is distinct from 'string'
                or not private.is_uuid(i.value ->> 'lease')
                then 'lease must be a lease token (uuid string)'
            when pg_catalog.jsonb_typeof(i.value -> 'result') not in ('object', 'null')
                then 'result must be a JSON object'
            when pg_catalog.jsonb_typeof(i.value -> 'events') not in ('array', 'null')
                then 'events must be a JSON array'
            -- GUARD: one lease twice in a batch, in any letter case, would store its events twice.
            when exists (
                select
                from pg_catalog.jsonb_array_elements(first_completion_problem.items)
                    with ordinality as o (value, ordinality)
                where o.ordinality < i.ordinality
                    and pg_catalog.lower(o.value ->> 'lease') = pg_catalog.lower(i.value ->> 'lease')
            ) then 'repeats the lease of an earlier item'
        end as problem
    ) as p
    where p.problem is not null
    order by i.ordinality
    limit 1;
end
$$;

comment on function private.first_completion_problem(jsonb) is
'The first invalid item of a complete_runs batch ({lease, result?, events?}; a lease at most once), index from 0 and what is wrong, or no row. Events are checked by private.first_event_problem.';
