-- Why: schedules (issue 16, item 1). A spec may declare `schedules:` (five-field cron, IANA time
-- zone, params, catchup none|latest|all with a bound, paused); publishing materialises them for the
-- current version of the spec name, a pg_cron tick every minute submits due runs through
-- private.submit_runs (the submit_run path), idempotent per (schedule, fire time), and operators
-- pause and resume them. Cron parsing and DST handling are in SQL (0118).

set lock_timeout = '5s';
set statement_timeout = '60s';

create function private.cron_parse_field(
    field text, lo integer, hi integer, names text[], name_base integer,
    out field_values integer[], out problem text
)
language plpgsql
immutable
set search_path = ''
as $$
declare
    v_part text;
    v_match text[];
    v_step integer;
    v_from integer;
    v_to integer;
    v_bound text;
    v_values integer[] := '{}'::integer[];
begin
    foreach v_part in array pg_catalog.string_to_array(cron_parse_field.field, ',') loop
        v_match := pg_catalog.regexp_match(
            v_part, '^(\*|[0-9]{1,2}|[A-Za-z]{3})(?:-([0-9]{1,2}|[A-Za-z]{3}))?(?:/([0-9]{1,2}))?$'
        );
        if v_match is null then
            problem := pg_catalog.format(
                '%s is not a value, range (a-b), list (a,b) or step (*/n, a-b/n)', private.json_repr(pg_catalog.to_jsonb(v_part))
            );
            return;
        end if;
        v_step := coalesce(v_match[3]::integer, 1);
        if v_step < 1 then
            problem := pg_catalog.format('step /%s must be at least 1', v_match[3]);
            return;
        end if;
        if v_match[1] = '*' then
            if v_match[2] is not null then
                problem := pg_catalog.format('%s: * cannot start a range', private.json_repr(pg_catalog.to_jsonb(v_part)));
                return;
            end if;
            v_from := cron_parse_field.lo;
            v_to := cron_parse_field.hi;
        else
            foreach v_bound in array array[v_match[1], v_match[2]] loop
                continue when v_bound is null;
                if v_bound !~ '^[0-9]+$' and (
                    cron_parse_field.names is null
                    or pg_catalog.array_position(cron_parse_field.names, pg_catalog.upper(v_bound)) is null
                ) then
                    problem := pg_catalog.format(
                        '%s is not a number%s', private.json_repr(pg_catalog.to_jsonb(v_bound)),
                        case when cron_parse_field.names is not null
                            then ' or one of ' || pg_catalog.array_to_string(cron_parse_field.names, ',') end
                    );
                    return;
                end if;
            end loop;
            v_from := case when v_match[1] ~ '^[0-9]+$' then v_match[1]::integer
                else pg_catalog.array_position(cron_parse_field.names, pg_catalog.upper(v_match[1]))
                    - 1 + cron_parse_field.name_base end;
            -- A single value with a step (5/15) runs from it to the end of the range, as cronie reads it.
            v_to := case
                when v_match[2] is null and v_match[3] is null then v_from
                when v_match[2] is null then cron_parse_field.hi
                when v_match[2] ~ '^[0-9]+$' then v_match[2]::integer
                else pg_catalog.array_position(cron_parse_field.names, pg_catalog.upper(v_match[2]))
                    - 1 + cron_parse_field.name_base
            end;
            if v_from not between cron_parse_field.lo and cron_parse_field.hi
                or v_to not between cron_parse_field.lo and cron_parse_field.hi then
                problem := pg_catalog.format(
                    '%s is out of range; use %s-%s', private.json_repr(pg_catalog.to_jsonb(v_part)),
                    cron_parse_field.lo, cron_parse_field.hi
                );
                return;
            end if;
            if v_to < v_from then
                problem := pg_catalog.format(
                    '%s runs backwards; write the range low-high (wrap-around ranges are not supported, use a list)',
                    private.json_repr(pg_catalog.to_jsonb(v_part))
                );
                return;
            end if;
        end if;
        v_values := v_values || array(select pg_catalog.generate_series(v_from, v_to, v_step));
    end loop;
    field_values := array(select distinct v from pg_catalog.unnest(v_values) as v order by v);
end
$$;

comment on function private.cron_parse_field(text, integer, integer, text[], integer) is
'One cron field: its values in lo..hi (sorted, distinct), or a problem naming the bad part and the fix. names (JAN.. or SUN..) map to name_base + their index.';

create function private.cron_parse(
    cron text,
    out minutes integer[], out hours integer[], out doms integer[], out months integer[], out dows integer[],
    out dom_star boolean, out dow_star boolean, out hour_star boolean, out problem text
)
language plpgsql
immutable
set search_path = ''
as $$
declare
    v_fields text[];
    v_field record;
    v_labels constant text[] := array['minute', 'hour', 'day of month', 'month', 'day of week'];
begin
    if cron_parse.cron is null or pg_catalog.char_length(cron_parse.cron) > 200 then
        problem := 'must be a cron expression of at most 200 characters';
        return;
    end if;
    v_fields := pg_catalog.regexp_split_to_array(pg_catalog.btrim(cron_parse.cron, E' \t'), E'[ \t]+');
    if pg_catalog.cardinality(v_fields) <> 5 or cron_parse.cron ~ '^\s*$' then
        problem := pg_catalog.format(
            '%s has %s fields; write five: minute hour day-of-month month day-of-week (e.g. ''30 2 * * MON-FRI''); seconds, years and @macros are not supported',
            private.json_repr(pg_catalog.to_jsonb(cron_parse.cron)),
            case when cron_parse.cron ~ '^\s*$' then 0 else pg_catalog.cardinality(v_fields) end
        );
        return;
    end if;
    for i in 1..5 loop
        select f.* into v_field
        from private.cron_parse_field(
            v_fields[i],
            (array[0, 0, 1, 1, 0])[i],
            (array[59, 23, 31, 12, 7])[i],
            case i
                when 4 then array['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC']
                when 5 then array['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT']
            end,
            case i when 4 then 1 else 0 end
        ) as f;
        if v_field.problem is not null then
            problem := pg_catalog.format(
                '%s field (%s of 5): %s%s', v_labels[i], i, v_field.problem,
                case when v_fields[i] ~ '[LW#?]' then ' (L, W, # and ? are not supported)' else '' end
            );
            return;
        end if;
        case i
            when 1 then minutes := v_field.field_values;
            when 2 then hours := v_field.field_values;
            when 3 then doms := v_field.field_values;
            when 4 then months := v_field.field_values;
            else
                -- 7 is Sunday too.
                dows := array(
                    select distinct v % 7 from pg_catalog.unnest(v_field.field_values) as v order by v % 7
                );
        end case;
    end loop;
    -- Standard cron: when both day fields are restricted a day matches either; a field that starts
    -- with * (also */n) does not count as restricted (cronie's DOM_STAR / DOW_STAR).
    dom_star := pg_catalog.left(v_fields[3], 1) = '*';
    dow_star := pg_catalog.left(v_fields[5], 1) = '*';
    hour_star := pg_catalog.left(v_fields[2], 1) = '*';
    if dow_star and not exists (
        select
        from pg_catalog.unnest(months) as m
        cross join pg_catalog.unnest(doms) as d
        where d <= (array[31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])[m]
    ) then
        problem := pg_catalog.format(
            'day of month %s never occurs in month %s; the schedule would never fire',
            v_fields[3], v_fields[4]
        );
    end if;
end
$$;

comment on function private.cron_parse(text) is
'A five-field cron expression as value arrays (dows 0-6, Sunday 0) with the day fields'' star flags and whether the hour field starts with * (clock-time DST handling); or a problem naming the field, the bad value and the fix.';

create function private.cron_utc_offset(at timestamptz, timezone text)
returns interval
language sql
stable
set search_path = ''
as $$
    select (cron_utc_offset.at at time zone cron_utc_offset.timezone) - (cron_utc_offset.at at time zone 'UTC')
$$;

comment on function private.cron_utc_offset(timestamptz, text) is
'The UTC offset of a time zone at an instant (+02:00 for Europe/Berlin in summer).';

create function private.cron_instants(local_time timestamp, timezone text, every_occurrence boolean)
returns setof timestamptz
language plpgsql
stable
set search_path = ''
as $$
declare
    -- Postgres's own reading of the wall time; no zone changes its offset twice within 6 hours.
    v_guess timestamptz := cron_instants.local_time at time zone cron_instants.timezone;
    v_before interval := private.cron_utc_offset(v_guess - interval '3 hours', cron_instants.timezone);
    v_after interval := private.cron_utc_offset(v_guess + interval '3 hours', cron_instants.timezone);
    v_first timestamptz;
    v_second timestamptz;
    v_lo timestamptz;
    v_hi timestamptz;
    v_mid timestamptz;
begin
    if v_before = v_after then
        return next v_guess;
        return;
    end if;
    v_first := (cron_instants.local_time - v_before) at time zone 'UTC';
    v_second := (cron_instants.local_time - v_after) at time zone 'UTC';
    if v_first > v_second then
        v_mid := v_first;
        v_first := v_second;
        v_second := v_mid;
    end if;
    -- Each candidate is an instant only if it shows this wall time in the zone.
    v_first := case when (v_first at time zone cron_instants.timezone) = cron_instants.local_time then v_first end;
    v_second := case when (v_second at time zone cron_instants.timezone) = cron_instants.local_time then v_second end;
    if v_first is not null or v_second is not null then
        -- Fall-back repeats the wall time: once at its first occurrence, or at each one by the clock.
        return next coalesce(v_first, v_second);
        if cron_instants.every_occurrence and v_first is not null and v_second is not null
            and v_second <> v_first then
            return next v_second;
        end if;
        return;
    end if;
    if cron_instants.every_occurrence then
        return;  -- by the clock, a wall time inside the spring-forward gap does not exist
    end if;
    -- Spring-forward gap: the first valid instant after it, the transition, found to the minute
    -- (v_lo still shows the old offset, v_hi the new one).
    v_lo := (cron_instants.local_time - v_after) at time zone 'UTC';
    v_hi := (cron_instants.local_time - v_before) at time zone 'UTC';
    while v_hi - v_lo > interval '1 minute' loop
        v_mid := pg_catalog.date_trunc('minute', v_lo + (v_hi - v_lo) / 2);
        if private.cron_utc_offset(v_mid, cron_instants.timezone) = v_after then
            v_hi := v_mid;
        else
            v_lo := v_mid;
        end if;
    end loop;
    return next v_hi;
end
$$;

comment on function private.cron_instants(timestamp, text, boolean) is
'The instants a wall-clock fire time stands for in a time zone: one normally; in a fall-back repeat the first occurrence (both when every_occurrence); in a spring-forward gap the first valid instant after the gap (none when every_occurrence).';

create function private.cron_fires(cron text, timezone text, after timestamptz, until timestamptz)
returns setof timestamptz
language plpgsql
stable
set search_path = ''
as $$
declare
    v_cron record;
    v_margin interval;
begin
    select p.* into v_cron from private.cron_parse(cron_fires.cron) as p;
    if v_cron.problem is not null or cron_fires.until <= cron_fires.after then
        return;
    end if;
    -- Near an offset change a wall time maps up to a few hours away; elsewhere the window's wall
    -- times are exactly its instants.
    v_margin := case
        when private.cron_utc_offset(cron_fires.after - interval '3 hours', cron_fires.timezone)
            = private.cron_utc_offset(cron_fires.after + interval '3 hours', cron_fires.timezone)
            and private.cron_utc_offset(cron_fires.until - interval '3 hours', cron_fires.timezone)
            = private.cron_utc_offset(cron_fires.until + interval '3 hours', cron_fires.timezone)
            then interval '0'
        else interval '3 hours'
    end;
    return query
    with bounds as (
        select
            (cron_fires.after at time zone cron_fires.timezone) - v_margin as lo,
            (cron_fires.until at time zone cron_fires.timezone) + v_margin as hi
    ),
    days as (
        select g.day::date as day
        from bounds as b
        cross join pg_catalog.generate_series(
            pg_catalog.date_trunc('day', b.lo), pg_catalog.date_trunc('day', b.hi), interval '1 day'
        ) as g (day)
        where pg_catalog.date_part('month', g.day)::integer = any(v_cron.months)
          and case
              when v_cron.dom_star or v_cron.dow_star then
                  pg_catalog.date_part('day', g.day)::integer = any(v_cron.doms)
                  and pg_catalog.date_part('dow', g.day)::integer = any(v_cron.dows)
              else
                  pg_catalog.date_part('day', g.day)::integer = any(v_cron.doms)
                  or pg_catalog.date_part('dow', g.day)::integer = any(v_cron.dows)
          end
    ),
    wall as (
        select d.day + pg_catalog.make_interval(hours => h.h, mins => m.m) as local_time
        from days as d
        cross join pg_catalog.unnest(v_cron.hours) as h (h)
        cross join pg_catalog.unnest(v_cron.minutes) as m (m)
    )
    select distinct i.at
    from wall as w
    cross join bounds as b
    cross join lateral private.cron_instants(w.local_time, cron_fires.timezone, v_cron.hour_star) as i (at)
    where w.local_time between b.lo and b.hi
      and i.at > cron_fires.after and i.at <= cron_fires.until
    order by i.at;
end
$$;

comment on function private.cron_fires(text, text, timestamptz, timestamptz) is
'The fire times of a cron expression in a time zone within (after, until], ascending, with the DST rules of 0118''s header. Empty for an invalid expression. The work is proportional to the days of the window: callers keep windows short (private.cron_next_fire, private.cron_last_fires).';

create function private.cron_next_fire(cron text, timezone text, after timestamptz)
returns timestamptz
language plpgsql
stable
set search_path = ''
as $$
declare
    v_window interval;
    v_next timestamptz;
begin
    -- Widening windows keep frequent schedules cheap; the last one spans a leap-day schedule's
    -- longest wait (2096-02-29 to 2104-02-29).
    foreach v_window in array array[
        interval '1 hour', interval '2 days', interval '32 days', interval '367 days', interval '2930 days'
    ] loop
        select f.at into v_next
        from private.cron_fires(cron_next_fire.cron, cron_next_fire.timezone, cron_next_fire.after,
            cron_next_fire.after + v_window) as f (at)
        limit 1;
        if v_next is not null then
            return v_next;
        end if;
    end loop;
    return null;
end
$$;

comment on function private.cron_next_fire(text, text, timestamptz) is
'The first fire time of a cron expression in a time zone after an instant; null if it never fires within 8 years.';

create function private.cron_last_fires(cron text, timezone text, after timestamptz, until timestamptz, n integer)
returns setof timestamptz
language plpgsql
stable
set search_path = ''
as $$
declare
    v_window interval;
    v_from timestamptz;
    v_fires timestamptz[];
begin
    -- The newest n fire times in (after, until], ascending: widening windows back from until, so a
    -- long downtime of a frequent schedule is not enumerated minute by minute.
    foreach v_window in array array[
        interval '1 hour', interval '2 days', interval '32 days', interval '367 days', interval '2930 days'
    ] loop
        v_from := greatest(cron_last_fires.after, cron_last_fires.until - v_window);
        v_fires := array(
            select f.at
            from private.cron_fires(cron_last_fires.cron, cron_last_fires.timezone, v_from, cron_last_fires.until) as f (at)
            order by f.at desc
            limit cron_last_fires.n
        );
        exit when pg_catalog.cardinality(v_fires) >= cron_last_fires.n or v_from = cron_last_fires.after;
    end loop;
    return query select f.at from pg_catalog.unnest(v_fires) as f (at) order by f.at;
end
$$;

comment on function private.cron_last_fires(text, text, timestamptz, timestamptz, integer) is
'The newest n fire times of a cron expression within (after, until], ascending (fire times more than 8 years back are not looked for).';

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

-- private.assert_valid_spec (0410): the schedules check added.
create or replace function private.assert_valid_spec(name text, version text, body jsonb)
returns void
language plpgsql
immutable
set search_path = ''
as $$
declare
    v_problem text;
begin
    v_problem := case
        when assert_valid_spec.name is null
            or assert_valid_spec.name !~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$'
            then 'name must be 1-128 letters, digits, dots, dashes or underscores'
        when assert_valid_spec.version is null
            or assert_valid_spec.version !~ '^[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}$'
            then 'version must be 1-64 letters, digits, dots, dashes, plus signs or underscores'
        when pg_catalog.jsonb_typeof(assert_valid_spec.body) is distinct from 'object'
            then 'body must be a JSON object'
        when assert_valid_spec.body ? 'name'
            and assert_valid_spec.body ->> 'name' is distinct from assert_valid_spec.name
            then 'body.name differs from name'
        when assert_valid_spec.body ? 'version'
            and assert_valid_spec.body ->> 'version' is distinct from assert_valid_spec.version
            then 'body.version differs from version'
        when assert_valid_spec.body ? 'pool'
            and (pg_catalog.jsonb_typeof(assert_valid_spec.body -> 'pool') <> 'string'
                or assert_valid_spec.body ->> 'pool' !~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$')
            then 'body.pool must be a pool name (letters, digits, dots, dashes, underscores)'
        when assert_valid_spec.body ? 'labels'
            and (pg_catalog.jsonb_typeof(assert_valid_spec.body -> 'labels') <> 'object'
                or exists (
                    select
                    from pg_catalog.jsonb_each(assert_valid_spec.body -> 'labels') as l
                    where pg_catalog.jsonb_typeof(l.value) <> 'string'
                ))
            then 'body.labels must be an object of strings'
        when assert_valid_spec.body ? 'retries'
            and pg_catalog.jsonb_typeof(assert_valid_spec.body -> 'retries') <> 'object'
            then 'body.retries must be an object'
        when assert_valid_spec.body -> 'retries' ? 'max_attempts'
            and (pg_catalog.jsonb_typeof(assert_valid_spec.body -> 'retries' -> 'max_attempts') <> 'number'
                or assert_valid_spec.body -> 'retries' ->> 'max_attempts' !~ '^[0-9]{1,3}$'
                or (assert_valid_spec.body -> 'retries' ->> 'max_attempts')::integer not between 1 and 100)
            then 'body.retries.max_attempts must be an integer from 1 to 100'
        when assert_valid_spec.body -> 'retries' ? 'base_seconds'
            and (pg_catalog.jsonb_typeof(assert_valid_spec.body -> 'retries' -> 'base_seconds') <> 'number'
                or (assert_valid_spec.body -> 'retries' ->> 'base_seconds')::numeric < 0)
            then 'body.retries.base_seconds must be a number of at least 0'
        when assert_valid_spec.body -> 'retries' ? 'max_backoff_seconds'
            and (pg_catalog.jsonb_typeof(assert_valid_spec.body -> 'retries' -> 'max_backoff_seconds') <> 'number'
                or (assert_valid_spec.body -> 'retries' ->> 'max_backoff_seconds')::numeric < 0)
            then 'body.retries.max_backoff_seconds must be a number of at least 0'
        when assert_valid_spec.body -> 'retries' ? 'jitter_seconds'
            and (pg_catalog.jsonb_typeof(assert_valid_spec.body -> 'retries' -> 'jitter_seconds') <> 'number'
                or (assert_valid_spec.body -> 'retries' ->> 'jitter_seconds')::numeric < 0)
            then 'body.retries.jitter_seconds must be a number of at least 0'
        when assert_valid_spec.body ? 'heartbeat_tolerance_seconds'
            and (pg_catalog.jsonb_typeof(assert_valid_spec.body -> 'heartbeat_tolerance_seconds') <> 'number'
                or (assert_valid_spec.body ->> 'heartbeat_tolerance_seconds')::numeric < 30)
            then 'body.heartbeat_tolerance_seconds must be a number of at least 30'
        when assert_valid_spec.body ? 'caps'
            and pg_catalog.jsonb_typeof(assert_valid_spec.body -> 'caps') <> 'object'
            then 'body.caps must be an object'
        when assert_valid_spec.body -> 'caps' ? 'max_duration_seconds'
            and (pg_catalog.jsonb_typeof(assert_valid_spec.body -> 'caps' -> 'max_duration_seconds') <> 'number'
                or (assert_valid_spec.body -> 'caps' ->> 'max_duration_seconds')::numeric <= 0)
            then 'body.caps.max_duration_seconds must be a positive number'
        when private.seconds_setting(assert_valid_spec.body -> 'retries' -> 'max_backoff_seconds', interval '1 hour')
            < private.seconds_setting(assert_valid_spec.body -> 'retries' -> 'base_seconds', interval '10 seconds')
            then 'body.retries.max_backoff_seconds must not be below base_seconds'
    end;
    if v_problem is not null then
        raise exception 'invalid pipeline spec: %', v_problem
        using errcode = '22023',
        detail = 'See docs/architecture.md, "Spec settings", for the keys the control plane reads.',
        hint = 'Fix the spec and publish it again.';
    end if;
    -- Schedules (issue 16): their checks and the cron rules live in 0409 and 0118.
    v_problem := private.first_schedule_problem(assert_valid_spec.body);
    if v_problem is not null then
        raise exception 'invalid pipeline spec: %', v_problem
        using errcode = '22023',
        detail = 'See docs/specs.md, "schedules", for the fields of a schedule and the cron syntax.',
        hint = 'Fix the schedule and publish again.';
    end if;
    -- GUARD: tenants share the bucket and the executors; a spec may only name its own folder.
    v_problem := private.first_uri_problem(assert_valid_spec.body);
    if v_problem is not null then
        raise exception 'invalid pipeline spec: %', v_problem
        using errcode = '22023',
        detail = 'Every dataset URI must lie under s3://${run.bucket}/${run.workspace}/: no other bucket or '
            || 'workspace, no . or .. segments, no escapes, no local paths (docs/security.md).',
        hint = 'Write the URI as s3://${run.bucket}/${run.workspace}/<key> and publish again.';
    end if;
    v_problem := private.first_retry_on_problem(assert_valid_spec.body);
    if v_problem is not null then
        raise exception 'invalid pipeline spec: %', v_problem
        using errcode = '22023',
        detail = 'retry_on lists the failures of a phase that get another attempt (docs/specs.md, "retry_on").',
        hint = 'Write e.g. retry_on: [transient] or retry_on: [transient, ModuleNotFoundError] and publish again.';
    end if;
end
$$;

comment on function private.assert_valid_spec(text, text, jsonb) is
'Raises 22023 naming the first problem of a spec (name, version, body settings, schedules, dataset URIs outside the workspace); returns quietly when the spec is valid.';

create table public.schedules (
    id uuid not null default pg_catalog.gen_random_uuid(),
    workspace_id uuid not null,
    spec_name text not null,
    spec_id uuid not null,
    name text not null,
    cron text not null,
    timezone text not null,
    params jsonb not null,
    catchup text not null,
    max_catchup integer not null,
    declared_paused boolean not null,
    paused boolean not null,
    paused_at timestamptz,
    paused_by text,
    fired_through timestamptz not null,
    next_fire_at timestamptz,
    created_at timestamptz not null default pg_catalog.now(),
    updated_at timestamptz not null default pg_catalog.now(),
    constraint schedules_pkey primary key (id),
    constraint schedules_workspace_id_spec_name_name_key unique (workspace_id, spec_name, name),
    constraint schedules_name_format check (name ~ '^[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?$'),
    constraint schedules_cron_length check (pg_catalog.char_length(cron) between 9 and 200),
    constraint schedules_timezone_length check (pg_catalog.char_length(timezone) between 1 and 64),
    constraint schedules_params_is_object check (pg_catalog.jsonb_typeof(params) = 'object'),
    constraint schedules_catchup_known check (catchup in ('none', 'latest', 'all')),
    constraint schedules_max_catchup_range check (max_catchup between 1 and 100),
    constraint schedules_paused_by_format check (
        paused_by is null or paused_by ~ '^(user:[0-9a-f-]{36}|service_role|spec)$'
    ),
    constraint schedules_spec_id_workspace_id_fkey foreign key (spec_id, workspace_id)
    references public.pipeline_specs (id, workspace_id) on delete cascade,
    constraint schedules_workspace_id_fkey foreign key (workspace_id)
    references public.workspaces (id) on delete cascade
);

-- The tick's probe: due, unpaused schedules in fire-time order.
create index schedules_next_fire_at_idx on public.schedules (next_fire_at) where not paused;
create index schedules_spec_id_idx on public.schedules (spec_id);

comment on table public.schedules is
'Cron schedules of the current version of each spec name (materialised by publish_spec from body.schedules; docs/specs.md, "schedules"). Pause state survives re-publishing by schedule name.';
comment on column public.schedules.id is 'Schedule id; kept across re-publishing while the spec declares a schedule of this name.';
comment on column public.schedules.workspace_id is 'Owning workspace.';
comment on column public.schedules.spec_name is 'The spec name whose current version declares the schedule.';
comment on column public.schedules.spec_id is 'The spec version that declares it now (its runs are submitted of this version).';
comment on column public.schedules.name is 'Schedule name, unique per spec name.';
comment on column public.schedules.cron is 'Five-field cron expression (private.cron_parse).';
comment on column public.schedules.timezone is 'IANA time zone the cron expression is read in (default UTC).';
comment on column public.schedules.params is 'Params of the runs it submits (the spec''s defaults are filled in at submit).';
comment on column public.schedules.catchup is 'After missed fire times: none (only a fire time less than 2 minutes old), latest (the newest missed one), all (the newest max_catchup).';
comment on column public.schedules.max_catchup is 'Most fire times one tick submits for this schedule under catchup all (1-100, default 10).';
comment on column public.schedules.declared_paused is 'The paused value the spec declares; a change of it on publish overrides the operator''s pause state.';
comment on column public.schedules.paused is 'Whether ticks skip it (pause_schedule / resume_schedule, or the spec).';
comment on column public.schedules.paused_at is 'When the pause state last changed.';
comment on column public.schedules.paused_by is 'Who changed the pause state last: user:<uuid>, service_role, or spec (a publish).';
comment on column public.schedules.fired_through is 'Every fire time up to this instant has been handled (submitted or skipped).';
comment on column public.schedules.next_fire_at is 'First fire time after fired_through (null if the expression never fires again).';
comment on column public.schedules.created_at is 'When the schedule was first published.';
comment on column public.schedules.updated_at is 'Last change by a publish, a pause or a tick.';

alter table public.schedules enable row level security;

revoke all on table public.schedules from public, anon, authenticated, service_role, controlroom_executor;
grant select on table public.schedules to authenticated, service_role;

create policy schedules_select_members on public.schedules
for select to authenticated
using (workspace_id in (select private.member_workspace_ids((select auth.uid()), 'viewer')));

create table public.schedule_ticks (
    schedule_id uuid not null,
    fire_at timestamptz not null,
    workspace_id uuid not null,
    ticked_at timestamptz not null,
    outcome text not null,
    run_id uuid,
    code text,
    message text,
    constraint schedule_ticks_pkey primary key (schedule_id, fire_at),
    constraint schedule_ticks_outcome_known check (outcome in ('submitted', 'duplicate', 'rejected')),
    constraint schedule_ticks_no_run_when_rejected check (outcome <> 'rejected' or run_id is null),
    constraint schedule_ticks_code_when_rejected check ((code is not null) = (outcome = 'rejected')),
    constraint schedule_ticks_message_length check (pg_catalog.char_length(message) <= 2000),
    constraint schedule_ticks_schedule_id_fkey foreign key (schedule_id)
    references public.schedules (id) on delete cascade,
    constraint schedule_ticks_run_id_fkey foreign key (run_id)
    references public.runs (id) on delete set null
);

create index schedule_ticks_workspace_id_idx on public.schedule_ticks (workspace_id);
create index schedule_ticks_run_id_idx on public.schedule_ticks (run_id);

comment on table public.schedule_ticks is
'One row per (schedule, fire time) the tick acted on, with the run it submitted or why it was refused; the primary key makes a tick idempotent.';
comment on column public.schedule_ticks.schedule_id is 'The schedule.';
comment on column public.schedule_ticks.fire_at is 'The fire time (an instant; the run''s idempotency key is schedule:<id>@<fire_at>).';
comment on column public.schedule_ticks.workspace_id is 'Workspace of the schedule (for RLS).';
comment on column public.schedule_ticks.ticked_at is 'When the tick submitted it (its as_of).';
comment on column public.schedule_ticks.outcome is 'submitted | duplicate (a run with its key existed) | rejected (private.submit_runs refused it: code, message).';
comment on column public.schedule_ticks.run_id is 'The run of this fire time (null when rejected, or after a purge of the run).';
comment on column public.schedule_ticks.code is 'SQLSTATE of a refusal (PT404, 22023, PT429, 23505, 40001).';
comment on column public.schedule_ticks.message is 'The refusal''s message.';

alter table public.schedule_ticks enable row level security;

revoke all on table public.schedule_ticks from public, anon, authenticated, service_role, controlroom_executor;
grant select on table public.schedule_ticks to authenticated, service_role;

create policy schedule_ticks_select_members on public.schedule_ticks
for select to authenticated
using (workspace_id in (select private.member_workspace_ids((select auth.uid()), 'viewer')));

create function private.materialise_schedules()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
    -- The same order as "latest" in private.submit_runs: the highest integer version, then by
    -- publish time.
    if (
        select s.id
        from public.pipeline_specs as s
        where s.workspace_id = new.workspace_id and s.name = new.name
        order by
            case when s.version ~ '^[0-9]{1,18}$' then s.version::bigint end desc nulls last,
            s.published_at desc,
            s.id desc
        limit 1
    ) is distinct from new.id then
        return null;
    end if;

    delete from public.schedules as d
    where d.workspace_id = new.workspace_id and d.spec_name = new.name
      and not exists (
          select
          from pg_catalog.jsonb_array_elements(coalesce(new.body -> 'schedules', '[]'::jsonb)) as e (value)
          where e.value ->> 'name' = d.name
      );

    insert into public.schedules as s (
        workspace_id, spec_name, spec_id, name, cron, timezone, params, catchup, max_catchup,
        declared_paused, paused, paused_at, paused_by, fired_through, next_fire_at
    )
    select
        new.workspace_id, new.name, new.id, d.name, d.cron, d.timezone, d.params, d.catchup, d.max_catchup,
        d.paused, d.paused, pg_catalog.now(), 'spec', pg_catalog.now(),
        private.cron_next_fire(d.cron, d.timezone, pg_catalog.now())
    from pg_catalog.jsonb_array_elements(coalesce(new.body -> 'schedules', '[]'::jsonb)) as e (value)
    cross join lateral (
        select
            e.value ->> 'name' as name,
            e.value ->> 'cron' as cron,
            coalesce(e.value ->> 'timezone', 'UTC') as timezone,
            coalesce(e.value -> 'params', '{}'::jsonb) as params,
            coalesce(e.value ->> 'catchup', 'latest') as catchup,
            coalesce((e.value ->> 'max_catchup')::integer, 10) as max_catchup,
            coalesce((e.value ->> 'paused')::boolean, false) as paused
    ) as d
    on conflict (workspace_id, spec_name, name) do update
    set spec_id = excluded.spec_id,
        cron = excluded.cron,
        timezone = excluded.timezone,
        params = excluded.params,
        catchup = excluded.catchup,
        max_catchup = excluded.max_catchup,
        declared_paused = excluded.declared_paused,
        paused = case when s.declared_paused = excluded.declared_paused then s.paused else excluded.paused end,
        paused_at = case when s.declared_paused = excluded.declared_paused then s.paused_at else excluded.paused_at end,
        paused_by = case when s.declared_paused = excluded.declared_paused then s.paused_by else excluded.paused_by end,
        -- Fire times already handled stay handled; the next one follows the new expression.
        next_fire_at = private.cron_next_fire(excluded.cron, excluded.timezone, s.fired_through),
        updated_at = pg_catalog.now();
    return null;
end
$$;

comment on function private.materialise_schedules() is
'After a spec version is published: if it is the current version of its name (highest integer version), replaces the name''s schedules with body.schedules, keeping id, ticks, fired_through and pause state by schedule name (a changed body paused wins).';

create trigger pipeline_specs_materialise_schedules
after insert on public.pipeline_specs
for each row execute function private.materialise_schedules();

create function private.fire_due_schedules(as_of timestamptz, max_schedules integer, workspace_id uuid default null)
returns jsonb
language plpgsql
volatile
set search_path = ''
as $$
declare
    v_as_of timestamptz := private.clock(fire_due_schedules.as_of);
    v_schedule public.schedules;
    v_fires timestamptz[];
    v_done integer := 0;
    v_submitted integer := 0;
    v_duplicates integer := 0;
    v_rejected integer := 0;
    v_skipped integer := 0;
begin
    if fire_due_schedules.max_schedules is null or fire_due_schedules.max_schedules not between 1 and 10000 then
        raise exception 'max_schedules must be from 1 to 10000, not %', fire_due_schedules.max_schedules
        using errcode = '22023',
        detail = 'One call handles a bounded batch of due schedules.',
        hint = 'Call it again while the answer says more: true.';
    end if;
    -- GUARD: a concurrent tick skips the schedules this one holds; it finds them moved past as_of
    -- when it gets to them (the next_fire_at condition is re-checked on the locked row).
    for v_schedule in
        select s.*
        from public.schedules as s
        where not s.paused and s.next_fire_at <= v_as_of
          -- Tests scope a tick to their own workspace; pg_cron ticks them all.
          and (fire_due_schedules.workspace_id is null or s.workspace_id = fire_due_schedules.workspace_id)
        order by s.next_fire_at, s.id
        limit fire_due_schedules.max_schedules
        for update skip locked
    loop
        v_done := v_done + 1;
        -- Which fire times of (fired_through, as_of] to run: catchup none runs only a fire time less
        -- than 2 minutes old (a tick late by up to a minute still runs it), latest the newest one,
        -- all the newest max_catchup. The others are skipped for good.
        v_fires := array(
            select f.at
            from private.cron_last_fires(
                v_schedule.cron, v_schedule.timezone, v_schedule.fired_through, v_as_of,
                case when v_schedule.catchup = 'all' then v_schedule.max_catchup else 1 end
            ) as f (at)
            where v_schedule.catchup <> 'none' or f.at > v_as_of - interval '2 minutes'
            order by f.at
        );
        if pg_catalog.cardinality(v_fires) = 0 then
            v_skipped := v_skipped + 1;
        else
            with answers as (
                select f.at, a.outcome, a.code, a.message, a.run_id
                from private.submit_runs(
                    v_schedule.workspace_id,
                    (
                        select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                            'spec_hash', p.spec_hash,
                            'params', v_schedule.params,
                            'idempotency_key', private.schedule_idempotency_key(v_schedule.id, x.at)
                        ) order by x.n)
                        from pg_catalog.unnest(v_fires) with ordinality as x (at, n)
                        cross join public.pipeline_specs as p
                        where p.id = v_schedule.spec_id
                    ),
                    v_as_of,
                    'system:schedules'
                ) as a
                inner join pg_catalog.unnest(v_fires) with ordinality as f (at, n) on f.n = a.item + 1
            ),
            ticks as (
                insert into public.schedule_ticks as t (
                    schedule_id, fire_at, workspace_id, ticked_at, outcome, run_id, code, message
                )
                select v_schedule.id, a.at, v_schedule.workspace_id, v_as_of,
                    case a.outcome when 'accepted' then 'submitted' else a.outcome end,
                    a.run_id, a.code, pg_catalog.left(a.message, 2000)
                from answers as a
                -- GUARD: a fire time already ticked (a replay) keeps its first record.
                on conflict (schedule_id, fire_at) do nothing
                returning t.outcome
            )
            select
                v_submitted + pg_catalog.count(*) filter (where t.outcome = 'submitted')::integer,
                v_duplicates + pg_catalog.count(*) filter (where t.outcome = 'duplicate')::integer,
                v_rejected + pg_catalog.count(*) filter (where t.outcome = 'rejected')::integer
            into v_submitted, v_duplicates, v_rejected
            from ticks as t;
        end if;
        update public.schedules as s
        set fired_through = v_as_of,
            next_fire_at = private.cron_next_fire(s.cron, s.timezone, v_as_of),
            updated_at = v_as_of
        where s.id = v_schedule.id;
    end loop;
    return pg_catalog.jsonb_build_object(
        'schedules', v_done,
        'submitted', v_submitted,
        'duplicates', v_duplicates,
        'rejected', v_rejected,
        'skipped', v_skipped,
        'more', v_done = fire_due_schedules.max_schedules
    );
end
$$;

comment on function private.fire_due_schedules(timestamptz, integer, uuid) is
'The schedule tick: for at most max_schedules due, unpaused schedules (of one workspace when workspace_id is given) (next_fire_at <= as_of, locked skip-locked), submits the fire times its catchup selects through private.submit_runs (idempotency key schedule:<id>@<fire time>), records one schedule_ticks row per fire time and moves the schedule past as_of. Answers {schedules, submitted, duplicates, rejected, skipped, more}.';

create function private.schedule_idempotency_key(schedule_id uuid, fire_at timestamptz)
returns text
language sql
immutable
set search_path = ''
as $$
    select 'schedule:' || schedule_idempotency_key.schedule_id::text || '@'
        || pg_catalog.to_char(schedule_idempotency_key.fire_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI"Z"')
$$;

comment on function private.schedule_idempotency_key(uuid, timestamptz) is
'The idempotency key of the run a schedule submits for a fire time: schedule:<schedule id>@<UTC minute>.';

create function private.find_schedule(workspace_id uuid, name text, spec_name text)
returns public.schedules
language plpgsql
stable
set search_path = ''
as $$
declare
    v_found public.schedules[];
begin
    -- Schedule names are unique per spec; the spec may be left out when the name alone is unique.
    v_found := array(
        select s
        from public.schedules as s
        where s.workspace_id = find_schedule.workspace_id and s.name = find_schedule.name
          and (find_schedule.spec_name is null or s.spec_name = find_schedule.spec_name)
        order by s.spec_name
        limit 3
    );
    if pg_catalog.cardinality(v_found) = 0 then
        raise exception 'schedule % does not exist in workspace %', find_schedule.name, find_schedule.workspace_id
        using errcode = 'PT404',
        detail = case when find_schedule.spec_name is null then 'No current spec version declares a schedule of this name.'
            else pg_catalog.format('The current version of spec %s declares no schedule of this name.', find_schedule.spec_name) end,
        hint = '`controlroom schedules` lists them.';
    elsif pg_catalog.cardinality(v_found) > 1 then
        raise exception 'schedule name % is declared by several specs', find_schedule.name
        using errcode = '22023',
        detail = pg_catalog.format('Specs: %s.', (
            select pg_catalog.string_agg(f.spec_name, ', ') from pg_catalog.unnest(v_found) as f
        )),
        hint = 'Name the spec too (SPEC/SCHEDULE on the command line).';
    end if;
    return v_found[1];
end
$$;

comment on function private.find_schedule(uuid, text, text) is
'The schedule of a workspace by name (and spec name when given); PT404 when none, 22023 when the name is declared by several specs and none was named.';

create function private.set_schedule_paused(
    workspace_id uuid, name text, spec_name text, paused boolean, as_of timestamptz
)
returns public.schedules
language plpgsql
set search_path = ''
as $$
declare
    v_as_of timestamptz := private.clock(set_schedule_paused.as_of);
    v_actor text := private.assert_may_submit(set_schedule_paused.workspace_id);
    v_schedule public.schedules;
begin
    v_schedule := private.find_schedule(
        set_schedule_paused.workspace_id, set_schedule_paused.name, set_schedule_paused.spec_name
    );
    -- Lock, then re-read: a tick holding the row finishes first.
    perform from public.schedules as s where s.id = v_schedule.id for update;
    update public.schedules as s
    set paused = set_schedule_paused.paused,
        paused_at = case when s.paused = set_schedule_paused.paused then s.paused_at else v_as_of end,
        paused_by = case when s.paused = set_schedule_paused.paused then s.paused_by else v_actor end,
        -- A resume starts from now: the fire times of the pause are not caught up.
        fired_through = case when s.paused and not set_schedule_paused.paused
            then greatest(s.fired_through, v_as_of) else s.fired_through end,
        next_fire_at = case when s.paused and not set_schedule_paused.paused
            then private.cron_next_fire(s.cron, s.timezone, greatest(s.fired_through, v_as_of))
            else s.next_fire_at end,
        updated_at = v_as_of
    where s.id = v_schedule.id
    returning s.* into v_schedule;
    return v_schedule;
end
$$;

comment on function private.set_schedule_paused(uuid, text, text, boolean, timestamptz) is
'Pauses or resumes a schedule for an operator or the service role (42501 otherwise); a resume moves fired_through to as_of, so the paused fire times are not caught up. Pausing a paused schedule changes nothing.';

create function public.pause_schedule(
    workspace_id uuid, name text, spec_name text default null, as_of timestamptz default null
)
returns public.schedules
language sql
security definer
set search_path = ''
as $$
    select private.set_schedule_paused(
        pause_schedule.workspace_id, pause_schedule.name, pause_schedule.spec_name, true, pause_schedule.as_of
    )
$$;

comment on function public.pause_schedule(uuid, text, text, timestamptz) is
'Pauses a schedule (operators, admins, owners, the service role; 42501 otherwise): ticks skip it until resume_schedule or a publish that changes the spec''s paused. spec_name may be left out when the name is unique in the workspace (PT404 unknown, 22023 ambiguous). Idempotent.';

create function public.resume_schedule(
    workspace_id uuid, name text, spec_name text default null, as_of timestamptz default null
)
returns public.schedules
language sql
security definer
set search_path = ''
as $$
    select private.set_schedule_paused(
        resume_schedule.workspace_id, resume_schedule.name, resume_schedule.spec_name, false, resume_schedule.as_of
    )
$$;

comment on function public.resume_schedule(uuid, text, text, timestamptz) is
'Resumes a paused schedule (operators and up, the service role): it fires next at its first fire time after as_of; the fire times of the pause are not caught up. Idempotent.';

revoke execute on function public.pause_schedule(uuid, text, text, timestamptz) from public, anon, authenticated;
grant execute on function public.pause_schedule(uuid, text, text, timestamptz) to authenticated, service_role;
revoke execute on function public.resume_schedule(uuid, text, text, timestamptz) from public, anon, authenticated;
grant execute on function public.resume_schedule(uuid, text, text, timestamptz) to authenticated, service_role;

select cron.unschedule(j.jobid)
from cron.job as j
where j.jobname = 'controlroom_fire_due_schedules';

select cron.schedule(
    'controlroom_fire_due_schedules',
    '* * * * *',
    $job$do $tick$
begin
    while (private.fire_due_schedules(pg_catalog.now(), 100) ->> 'more')::boolean loop
        commit;
    end loop;
end
$tick$$job$
);

create view public.schedule_board
with (security_invoker = true)
as
select
    s.id as schedule_id,
    s.workspace_id,
    s.spec_name,
    p.version as spec_version,
    s.name,
    s.cron,
    s.timezone,
    s.catchup,
    s.max_catchup,
    s.paused,
    s.paused_at,
    s.paused_by,
    s.next_fire_at,
    s.fired_through,
    t.fire_at as last_fire_at,
    t.outcome as last_outcome,
    t.code as last_code,
    t.message as last_message,
    t.run_id as last_run_id,
    r.status as last_run_status
from public.schedules as s
inner join public.pipeline_specs as p on s.spec_id = p.id
left join lateral (
    select
        k.fire_at,
        k.outcome,
        k.code,
        k.message,
        k.run_id
    from public.schedule_ticks as k
    where k.schedule_id = s.id
    order by k.fire_at desc
    limit 1
) as t on true
left join public.runs as r on t.run_id = r.id;

comment on view public.schedule_board is
'One row per schedule with its spec version, next fire time, pause state and last tick (outcome, run and its status): `controlroom schedules` (RLS of the caller applies).';

comment on column public.schedule_board.schedule_id is 'The schedule.';
comment on column public.schedule_board.workspace_id is 'Owning workspace.';
comment on column public.schedule_board.spec_name is 'Spec name.';
comment on column public.schedule_board.spec_version is 'The current spec version, whose runs it submits.';
comment on column public.schedule_board.name is 'Schedule name.';
comment on column public.schedule_board.cron is 'Five-field cron expression.';
comment on column public.schedule_board.timezone is 'Time zone the expression is read in.';
comment on column public.schedule_board.catchup is 'none | latest | all.';
comment on column public.schedule_board.max_catchup is 'Bound of catchup all.';
comment on column public.schedule_board.paused is 'Whether ticks skip it.';
comment on column public.schedule_board.paused_at is 'When the pause state last changed.';
comment on column public.schedule_board.paused_by is 'Who changed it: user:<uuid>, service_role or spec.';
comment on column public.schedule_board.next_fire_at is 'Next fire time (null: never again).';
comment on column public.schedule_board.fired_through is 'Every fire time up to this has been handled.';
comment on column public.schedule_board.last_fire_at is 'Fire time of the last tick.';
comment on column public.schedule_board.last_outcome is 'submitted | duplicate | rejected.';
comment on column public.schedule_board.last_code is 'SQLSTATE of a refused last tick.';
comment on column public.schedule_board.last_message is 'Why the last tick was refused.';
comment on column public.schedule_board.last_run_id is 'Run of the last tick.';
comment on column public.schedule_board.last_run_status is 'Status of that run.';

revoke all on table public.schedule_board from public, anon, authenticated, service_role, controlroom_executor;
grant select on table public.schedule_board to authenticated, service_role;
