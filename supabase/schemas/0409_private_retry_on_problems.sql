-- Why: a phase may say which failures get another attempt (`retry_on`, issue 16); publish_spec
-- refuses a malformed list with 22023 naming the phase (assert_valid_spec, 0410), so fail_run only
-- ever reads a list of short tokens.

create function private.first_retry_on_problem(body jsonb)
returns text
language sql
immutable
parallel safe
set search_path = ''
-- The same rule as controlroom.phases.models.RetryOn: failure kinds or error classes, at most 50.
as $$
    select pg_catalog.format('body.phases[%s].retry_on ', p.ordinality - 1) || case
        when pg_catalog.jsonb_typeof(p.value -> 'retry_on') <> 'array'
            then 'must be a list of failure kinds (transient, deterministic) or error classes'
        when pg_catalog.jsonb_array_length(p.value -> 'retry_on') > 50
            then 'has more than 50 entries'
        else 'entries must be 1-200 letters, digits, dots, colons, dashes or underscores'
    end
    from pg_catalog.jsonb_array_elements(
        case when pg_catalog.jsonb_typeof(first_retry_on_problem.body -> 'phases') = 'array'
            then first_retry_on_problem.body -> 'phases' else '[]'::jsonb end
    ) with ordinality as p (value, ordinality)
    where pg_catalog.jsonb_typeof(p.value -> 'retry_on') <> 'null'
        and (
            pg_catalog.jsonb_typeof(p.value -> 'retry_on') <> 'array'
            or pg_catalog.jsonb_array_length(p.value -> 'retry_on') > 50
            or exists (
                select
                from pg_catalog.jsonb_array_elements(p.value -> 'retry_on') as r (value)
                where pg_catalog.jsonb_typeof(r.value) <> 'string'
                    or (r.value #>> '{}') !~ '^[A-Za-z0-9_.:-]{1,200}$'
            )
        )
    order by p.ordinality
    limit 1
$$;

comment on function private.first_retry_on_problem(jsonb) is
'The first malformed phases[i].retry_on of a spec body (not a list, over 50 entries, or an entry that is not a failure kind or error class token), or null.';
