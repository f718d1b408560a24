-- Why: schedules (issue 16) fire on standard five-field cron expressions (minute hour day-of-month
-- month day-of-week: lists, ranges, steps, JAN-DEC and SUN-SAT names; no seconds, no L/W/#) in a
-- declared IANA time zone. Parsing and fire-time computation live here, in SQL, so publish_spec, the
-- pg_cron tick and the schedule board all read an expression the same way (docs/specs.md,
-- "schedules").
--
-- Daylight-saving time follows cronie (Vixie cron with its DST handling): a schedule whose hour field
-- starts with '*' runs by the clock on the wall as it is (a local minute that does not exist in the
-- spring-forward gap is not run; a repeated local minute in fall-back runs at each occurrence). A
-- fixed-time schedule (any other hour field) runs each local fire time once: a time inside the
-- spring-forward gap runs at the first valid instant after the gap, a repeated time runs at its first
-- occurrence only.

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
