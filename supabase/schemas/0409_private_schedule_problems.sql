-- Why: a spec's `schedules:` is checked before publish_spec stores it (private.assert_valid_spec,
-- 0410), with the same field/value/fix messages as `controlroom spec validate`, so a schedule that
-- the tick could not read, or whose params the submit would refuse, never reaches the table.

create function private.first_schedule_problem(body jsonb)
returns text
language plpgsql
stable
set search_path = ''
as $$
declare
    v_schedules jsonb := first_schedule_problem.body -> 'schedules';
    v_item jsonb;
    v_n integer;
    v_at text;
    v_key text;
    v_cron_problem text;
    v_params_schema jsonb := coalesce(first_schedule_problem.body -> 'params', '{}'::jsonb);
begin
    if v_schedules is null or v_schedules = 'null'::jsonb then
        return null;
    end if;
    if pg_catalog.jsonb_typeof(v_schedules) <> 'array' then
        return 'body.schedules must be a list of schedules (name, cron, timezone, params, catchup, max_catchup, paused)';
    end if;
    if pg_catalog.jsonb_array_length(v_schedules) > 20 then
        return pg_catalog.format('body.schedules has %s schedules; at most 20 are allowed', pg_catalog.jsonb_array_length(v_schedules));
    end if;
    for v_item, v_n in
        select e.value, (e.n - 1)::integer from pg_catalog.jsonb_array_elements(v_schedules) with ordinality as e (value, n)
    loop
        v_at := pg_catalog.format('body.schedules[%s]', v_n);
        if pg_catalog.jsonb_typeof(v_item) <> 'object' then
            return v_at || ' must be a mapping with name and cron';
        end if;
        select k into v_key
        from pg_catalog.jsonb_object_keys(v_item) as k
        where k <> all (array['name', 'cron', 'timezone', 'params', 'catchup', 'max_catchup', 'paused'])
        order by k
        limit 1;
        if v_key is not null then
            return pg_catalog.format(
                '%s.%s is not a schedule setting; use name, cron, timezone, params, catchup, max_catchup, paused', v_at, v_key
            );
        end if;
        if pg_catalog.jsonb_typeof(v_item -> 'name') is distinct from 'string'
            or v_item ->> 'name' !~ '^[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?$' then
            return pg_catalog.format(
                '%s.name %s must be 1-63 lower-case letters, digits, dashes or underscores (e.g. nightly)',
                v_at, coalesce(private.json_repr(v_item -> 'name'), 'is missing and')
            );
        end if;
        if (
            select pg_catalog.count(*) from pg_catalog.jsonb_array_elements(v_schedules) as o (value)
            where o.value ->> 'name' = v_item ->> 'name'
        ) > 1 then
            return pg_catalog.format('%s.name %s is used twice; schedule names are unique within a spec', v_at, private.json_repr(v_item -> 'name'));
        end if;
        if pg_catalog.jsonb_typeof(v_item -> 'cron') is distinct from 'string' then
            return pg_catalog.format('%s.cron must be a five-field cron expression, e.g. ''0 6 * * MON-FRI''', v_at);
        end if;
        select p.problem into v_cron_problem from private.cron_parse(v_item ->> 'cron') as p;
        if v_cron_problem is not null then
            return pg_catalog.format('%s.cron: %s', v_at, v_cron_problem);
        end if;
        if v_item ? 'timezone' and (
            pg_catalog.jsonb_typeof(v_item -> 'timezone') <> 'string'
            or pg_catalog.char_length(v_item ->> 'timezone') > 64
            or not exists (select from pg_catalog.pg_timezone_names as z where z.name = v_item ->> 'timezone')
        ) then
            return pg_catalog.format(
                '%s.timezone %s is not an IANA time zone name; write e.g. Europe/Berlin, America/New_York or UTC',
                v_at, private.json_repr(v_item -> 'timezone')
            );
        end if;
        if v_item ? 'catchup' and (v_item -> 'catchup') not in ('"none"', '"latest"', '"all"') then
            return pg_catalog.format('%s.catchup %s must be none, latest or all', v_at, private.json_repr(v_item -> 'catchup'));
        end if;
        if v_item ? 'max_catchup' and (
            pg_catalog.jsonb_typeof(v_item -> 'max_catchup') <> 'number'
            or v_item ->> 'max_catchup' !~ '^[0-9]{1,3}$'
            or (v_item ->> 'max_catchup')::integer not between 1 and 100
        ) then
            return pg_catalog.format('%s.max_catchup %s must be an integer from 1 to 100', v_at, private.json_repr(v_item -> 'max_catchup'));
        end if;
        if v_item ? 'paused' and pg_catalog.jsonb_typeof(v_item -> 'paused') <> 'boolean' then
            return pg_catalog.format('%s.paused %s must be true or false', v_at, private.json_repr(v_item -> 'paused'));
        end if;
        if v_item ? 'params' and pg_catalog.jsonb_typeof(v_item -> 'params') <> 'object' then
            return pg_catalog.format('%s.params must be a mapping of parameter values', v_at);
        end if;
        -- The submit would refuse them at every tick: say so now, with the submit's own message.
        if v_params_schema <> '{}'::jsonb then
            v_cron_problem := private.params_problems(
                v_params_schema,
                private.params_with_defaults(v_params_schema, coalesce(v_item -> 'params', '{}'::jsonb)),
                v_at || '.params'
            );
            if v_cron_problem is not null then
                return v_cron_problem;
            end if;
        end if;
    end loop;
    return null;
end
$$;

comment on function private.first_schedule_problem(jsonb) is
'The first problem of a spec body''s schedules (shape, name, cron via private.cron_parse, IANA time zone, catchup, max_catchup, paused, params against the spec''s params schema), as a message naming the field, value and fix; null when they are valid or absent.';
