-- Why: a routing document is checked by the CLI (`controlroom routes validate`, with file and line)
-- and again by the database before it is published, so a hand-made call cannot store a document the
-- router would trip over. Small helpers return the first problem as the JSON path of the bad field
-- and what is wrong (like private.first_event_problem, 0509); publish_routes and test_routes raise
-- 22023 with the path in the detail.

create function private.alert_signal_types()
returns text []
language sql
immutable
parallel safe
set search_path = ''
as $$
    select array[
        'run_failed', 'run_timed_out', 'cap_exceeded', 'retries_exhausted', 'run_too_long',
        'run_stuck_queued', 'executor_lost', 'budget_burn', 'artifact_verification_failed',
        'lease_rejected', 'run_recovered', 'queue_drained', 'executor_recovered', 'budget_recovered'
    ]
$$;

comment on function private.alert_signal_types() is
'Every signal type (the CHECK of alert_signals.signal_type says the same): problems, then recoveries.';

create function private.first_matcher_problem(path text, match jsonb)
returns table (path text, problem text)
language sql
immutable
parallel safe
set search_path = ''
as $$
    -- A matcher maps a label to a glob (string) or to a list of globs (any of them), and labels to
    -- an object of label -> glob. Unknown keys are refused: a typo must not match everything.
    with entries as (
        select e.key, e.value, e.ordinality
        from pg_catalog.jsonb_each(first_matcher_problem.match) with ordinality as e (key, value, ordinality)
        where pg_catalog.jsonb_typeof(first_matcher_problem.match) = 'object'
    ),
    problems as (
        select 0::bigint as n, first_matcher_problem.path as path, 'must be an object'::text as problem
        where pg_catalog.jsonb_typeof(first_matcher_problem.match) <> 'object'
        union all
        select e.ordinality, first_matcher_problem.path || '.' || e.key,
            'is not a matcher: use signal_type, severity, spec, pool, executor_id, run_id or labels'
        from entries as e
        where e.key not in ('signal_type', 'severity', 'spec', 'pool', 'executor_id', 'run_id', 'labels')
        union all
        select e.ordinality, first_matcher_problem.path || '.' || e.key,
            'must be a string (glob) or a non-empty array of strings'
        from entries as e
        where e.key <> 'labels'
          and not (
              pg_catalog.jsonb_typeof(e.value) = 'string'
              or (
                  pg_catalog.jsonb_typeof(e.value) = 'array'
                  and pg_catalog.jsonb_array_length(e.value) between 1 and 100
                  and not pg_catalog.jsonb_path_exists(e.value, '$[*] ? (@.type() != "string")')
              )
          )
        union all
        select e.ordinality, first_matcher_problem.path || '.' || e.key,
            'names an unknown value: ' || (
                select pg_catalog.string_agg(v.value, ', ')
                from pg_catalog.jsonb_array_elements_text(
                    case pg_catalog.jsonb_typeof(e.value) when 'array' then e.value else pg_catalog.jsonb_build_array(e.value) end
                ) as v (value)
                where v.value !~ '[*?]'
                  and v.value <> all(
                      case e.key
                          when 'severity' then array['critical', 'warning', 'info']
                          else private.alert_signal_types()
                      end
                  )
            )
        from entries as e
        where e.key in ('signal_type', 'severity')
          and pg_catalog.jsonb_typeof(e.value) in ('string', 'array')
          and exists (
              select
              from pg_catalog.jsonb_array_elements_text(
                  case pg_catalog.jsonb_typeof(e.value) when 'array' then e.value else pg_catalog.jsonb_build_array(e.value) end
              ) as v (value)
              where v.value !~ '[*?]'
                and v.value <> all(
                    case e.key
                        when 'severity' then array['critical', 'warning', 'info']
                        else private.alert_signal_types()
                    end
                )
          )
        union all
        select e.ordinality, first_matcher_problem.path || '.labels',
            'must be an object of label: glob strings'
        from entries as e
        where e.key = 'labels'
          and (
              pg_catalog.jsonb_typeof(e.value) <> 'object'
              or pg_catalog.jsonb_path_exists(e.value, '$.* ? (@.type() != "string")')
          )
    )
    select p.path, p.problem from problems as p order by p.n limit 1
$$;

comment on function private.first_matcher_problem(text, jsonb) is
'The first problem of a matcher object (route match, silence, inhibit rule) as (JSON path, what is wrong), or no row.';

create function private.first_routes_problem(body jsonb)
returns table (path text, problem text)
language plpgsql
immutable
parallel safe
set search_path = ''
as $$
declare
    v_route record;
    v_tier record;
    v_target record;
    v_rule record;
    v_key text;
    v_path text;
    v_names text [] := '{}'::text [];
begin
    if pg_catalog.jsonb_typeof(first_routes_problem.body) is distinct from 'object' then
        return query select '$'::text, 'must be an object {routes, inhibit_rules, targets, defaults}'::text;
        return;
    end if;
    select k into v_key
    from pg_catalog.jsonb_object_keys(first_routes_problem.body) as k
    where k not in ('routes', 'inhibit_rules', 'targets', 'defaults')
    limit 1;
    if found then
        return query select '$.' || v_key, 'is not a key of a routing document (routes, inhibit_rules, targets, defaults)'::text;
        return;
    end if;

    -- targets: name -> {kind, url_secret, signing_secret}; secrets are names of environment variables.
    if pg_catalog.jsonb_typeof(coalesce(first_routes_problem.body -> 'targets', '{}'::jsonb)) <> 'object' then
        return query select '$.targets'::text, 'must be an object of target name: {kind, url_secret, signing_secret}'::text;
        return;
    end if;
    for v_target in
        select t.key, t.value from pg_catalog.jsonb_each(coalesce(first_routes_problem.body -> 'targets', '{}'::jsonb)) as t
        order by t.key
    loop
        v_path := '$.targets.' || v_target.key;
        if v_target.key !~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' then
            return query select v_path, 'target names are 1-64 letters, digits, _ . - (starting with a letter or digit)'::text;
            return;
        end if;
        if pg_catalog.jsonb_typeof(v_target.value) <> 'object' then
            return query select v_path, 'must be an object {kind, url_secret, signing_secret}'::text;
            return;
        end if;
        select k into v_key from pg_catalog.jsonb_object_keys(v_target.value) as k
        where k not in ('kind', 'url_secret', 'signing_secret') limit 1;
        if found then
            return query select v_path || '.' || v_key, 'is not a key of a target (kind, url_secret, signing_secret)'::text;
            return;
        end if;
        if coalesce(v_target.value ->> 'kind', '') not in ('webhook', 'slack') then
            return query select v_path || '.kind', 'must be webhook or slack'::text;
            return;
        end if;
        if pg_catalog.jsonb_typeof(v_target.value -> 'url_secret') is distinct from 'string'
            or (v_target.value ->> 'url_secret') !~ '^[A-Z][A-Z0-9_]{0,127}$' then
            return query select v_path || '.url_secret',
                'must name a secret (an environment variable of the dispatcher, like ONCALL_WEBHOOK_URL), never a URL'::text;
            return;
        end if;
        if v_target.value ? 'signing_secret'
            and (pg_catalog.jsonb_typeof(v_target.value -> 'signing_secret') <> 'string'
                or (v_target.value ->> 'signing_secret') !~ '^[A-Z][A-Z0-9_]{0,127}$') then
            return query select v_path || '.signing_secret', 'must name a secret (an environment variable of the dispatcher)'::text;
            return;
        end if;
    end loop;

    if pg_catalog.jsonb_typeof(first_routes_problem.body -> 'routes') is distinct from 'array'
        or pg_catalog.jsonb_array_length(first_routes_problem.body -> 'routes') not between 1 and 200 then
        return query select '$.routes'::text, 'must be an array of 1 to 200 routes'::text;
        return;
    end if;
    for v_route in
        select r.value, (r.ordinality - 1)::integer as idx
        from pg_catalog.jsonb_array_elements(first_routes_problem.body -> 'routes') with ordinality as r (value, ordinality)
        order by r.ordinality
    loop
        v_path := '$.routes[' || v_route.idx || ']';
        if pg_catalog.jsonb_typeof(v_route.value) <> 'object' then
            return query select v_path, 'must be an object'::text;
            return;
        end if;
        select k into v_key from pg_catalog.jsonb_object_keys(v_route.value) as k
        where k not in ('name', 'match', 'continue', 'group_by', 'group_wait_seconds', 'group_interval_seconds',
            'repeat_interval_seconds', 'reopen_window_seconds', 'send_resolved', 'escalation')
        limit 1;
        if found then
            return query select v_path || '.' || v_key, 'is not a key of a route'::text;
            return;
        end if;
        if pg_catalog.jsonb_typeof(v_route.value -> 'name') is distinct from 'string'
            or (v_route.value ->> 'name') !~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' then
            return query select v_path || '.name', 'is required: 1-64 letters, digits, _ . - (starting with a letter or digit)'::text;
            return;
        end if;
        if (v_route.value ->> 'name') = any(v_names) then
            return query select v_path || '.name', 'repeats the name of an earlier route'::text;
            return;
        end if;
        v_names := v_names || (v_route.value ->> 'name');
        if v_route.value ? 'match' then
            return query select * from private.first_matcher_problem(v_path || '.match', v_route.value -> 'match');
            if found then
                return;
            end if;
        end if;
        if v_route.value ? 'continue' and pg_catalog.jsonb_typeof(v_route.value -> 'continue') <> 'boolean' then
            return query select v_path || '.continue', 'must be true or false'::text;
            return;
        end if;
        if v_route.value ? 'send_resolved' and pg_catalog.jsonb_typeof(v_route.value -> 'send_resolved') <> 'boolean' then
            return query select v_path || '.send_resolved', 'must be true or false'::text;
            return;
        end if;
        if v_route.value ? 'group_by' and (
            pg_catalog.jsonb_typeof(v_route.value -> 'group_by') <> 'array'
            or pg_catalog.jsonb_array_length(v_route.value -> 'group_by') > 20
            or pg_catalog.jsonb_path_exists(v_route.value -> 'group_by', '$[*] ? (@.type() != "string")')
        ) then
            return query select v_path || '.group_by', 'must be an array of up to 20 label names'::text;
            return;
        end if;
        select k into v_key
        from unnest(array['group_wait_seconds', 'group_interval_seconds', 'repeat_interval_seconds', 'reopen_window_seconds']) as k
        where v_route.value ? k
          and (pg_catalog.jsonb_typeof(v_route.value -> k) <> 'number'
              or (v_route.value ->> k)::numeric <> pg_catalog.trunc((v_route.value ->> k)::numeric)
              or (v_route.value ->> k)::numeric not between 0 and 31536000)
        limit 1;
        if found then
            return query select v_path || '.' || v_key, 'must be a whole number of seconds from 0 to 31536000'::text;
            return;
        end if;
        if pg_catalog.jsonb_typeof(v_route.value -> 'escalation') is distinct from 'array'
            or pg_catalog.jsonb_array_length(v_route.value -> 'escalation') not between 1 and 10 then
            return query select v_path || '.escalation', 'must be an array of 1 to 10 tiers {targets, after_seconds}'::text;
            return;
        end if;
        for v_tier in
            select t.value, (t.ordinality - 1)::integer as idx
            from pg_catalog.jsonb_array_elements(v_route.value -> 'escalation') with ordinality as t (value, ordinality)
            order by t.ordinality
        loop
            if pg_catalog.jsonb_typeof(v_tier.value) <> 'object' then
                return query select v_path || '.escalation[' || v_tier.idx || ']', 'must be an object {targets, after_seconds}'::text;
                return;
            end if;
            select k into v_key from pg_catalog.jsonb_object_keys(v_tier.value) as k
            where k not in ('targets', 'after_seconds') limit 1;
            if found then
                return query select v_path || '.escalation[' || v_tier.idx || '].' || v_key, 'is not a key of a tier (targets, after_seconds)'::text;
                return;
            end if;
            if pg_catalog.jsonb_typeof(v_tier.value -> 'targets') is distinct from 'array'
                or pg_catalog.jsonb_array_length(v_tier.value -> 'targets') not between 1 and 20
                or pg_catalog.jsonb_path_exists(v_tier.value -> 'targets', '$[*] ? (@.type() != "string")') then
                return query select v_path || '.escalation[' || v_tier.idx || '].targets', 'must be an array of 1 to 20 target names'::text;
                return;
            end if;
            select t into v_key
            from pg_catalog.jsonb_array_elements_text(v_tier.value -> 'targets') as t
            where not coalesce(first_routes_problem.body -> 'targets', '{}'::jsonb) ? t
            limit 1;
            if found then
                return query select v_path || '.escalation[' || v_tier.idx || '].targets',
                    ('names ' || v_key || ', which is not in targets')::text;
                return;
            end if;
            if v_tier.value ? 'after_seconds' and (
                pg_catalog.jsonb_typeof(v_tier.value -> 'after_seconds') <> 'number'
                or (v_tier.value ->> 'after_seconds')::numeric <> pg_catalog.trunc((v_tier.value ->> 'after_seconds')::numeric)
                or (v_tier.value ->> 'after_seconds')::numeric not between 0 and 31536000
            ) then
                return query select v_path || '.escalation[' || v_tier.idx || '].after_seconds', 'must be a whole number of seconds from 0 to 31536000'::text;
                return;
            end if;
        end loop;
    end loop;

    if pg_catalog.jsonb_typeof(coalesce(first_routes_problem.body -> 'inhibit_rules', '[]'::jsonb)) <> 'array'
        or pg_catalog.jsonb_array_length(coalesce(first_routes_problem.body -> 'inhibit_rules', '[]'::jsonb)) > 100 then
        return query select '$.inhibit_rules'::text, 'must be an array of up to 100 rules {source_match, target_match, equal}'::text;
        return;
    end if;
    for v_rule in
        select r.value, (r.ordinality - 1)::integer as idx
        from pg_catalog.jsonb_array_elements(coalesce(first_routes_problem.body -> 'inhibit_rules', '[]'::jsonb)) with ordinality as r (value, ordinality)
        order by r.ordinality
    loop
        v_path := '$.inhibit_rules[' || v_rule.idx || ']';
        if pg_catalog.jsonb_typeof(v_rule.value) <> 'object' then
            return query select v_path, 'must be an object {source_match, target_match, equal}'::text;
            return;
        end if;
        select k into v_key from pg_catalog.jsonb_object_keys(v_rule.value) as k
        where k not in ('source_match', 'target_match', 'equal') limit 1;
        if found then
            return query select v_path || '.' || v_key, 'is not a key of an inhibit rule (source_match, target_match, equal)'::text;
            return;
        end if;
        return query select * from private.first_matcher_problem(v_path || '.source_match', coalesce(v_rule.value -> 'source_match', 'null'::jsonb));
        if found then
            return;
        end if;
        return query select * from private.first_matcher_problem(v_path || '.target_match', coalesce(v_rule.value -> 'target_match', 'null'::jsonb));
        if found then
            return;
        end if;
        if v_rule.value ? 'equal' and (
            pg_catalog.jsonb_typeof(v_rule.value -> 'equal') <> 'array'
            or pg_catalog.jsonb_path_exists(v_rule.value -> 'equal', '$[*] ? (@.type() != "string")')
        ) then
            return query select v_path || '.equal', 'must be an array of label names'::text;
            return;
        end if;
    end loop;

    if pg_catalog.jsonb_typeof(coalesce(first_routes_problem.body -> 'defaults', '{}'::jsonb)) <> 'object' then
        return query select '$.defaults'::text, 'must be an object'::text;
        return;
    end if;
    select d.key into v_key
    from pg_catalog.jsonb_each(coalesce(first_routes_problem.body -> 'defaults', '{}'::jsonb)) as d
    where d.key not in ('queued_warning_seconds', 'executor_lost_seconds', 'budget_burn_ratio', 'reopen_window_seconds')
       or pg_catalog.jsonb_typeof(d.value) <> 'number'
       or (d.value #>> '{}')::numeric < 0
       or (d.key = 'budget_burn_ratio' and (d.value #>> '{}')::numeric > 1)
    limit 1;
    if found then
        return query select '$.defaults.' || v_key,
            'defaults are queued_warning_seconds, executor_lost_seconds, reopen_window_seconds (seconds >= 0) and budget_burn_ratio (0 to 1)'::text;
        return;
    end if;
end
$$;

comment on function private.first_routes_problem(jsonb) is
'The first problem of a routing document as (JSON path of the bad field, what is wrong), or no row: keys, route names, matchers, group settings, escalation tiers naming defined targets, secret names (never URLs), inhibit rules and defaults.';
