-- Why: routes, silences and inhibit rules all match alerts the same way (Alertmanager's matchers):
-- a label against a glob or a list of globs, where the labels are the signal's own labels plus its
-- subject (signal_type, severity, spec, pool, executor_id, run_id). One set of helpers, used by
-- the router (0950), the escalation sweep and test_routes, so `controlroom routes test` shows
-- exactly what the database does.

create function private.glob_matches(value text, glob text)
returns boolean
language sql
immutable
parallel safe
set search_path = ''
as $$
    -- * is any run of characters, ? one character; everything else is literal.
    select glob_matches.value like pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(
        pg_catalog.replace(glob_matches.glob, '\', '\\'), '%', '\%'), '_', '\_'), '*', '%'), '?', '_')
$$;

comment on function private.glob_matches(text, text) is
'Whether value matches a glob (* any run of characters, ? one character, the rest literal); false for a null value.';

create function private.signal_match_labels(
    labels jsonb, signal_type text, severity text, spec_name text, pool text, executor_id uuid, run_id uuid
)
returns jsonb
language sql
immutable
parallel safe
set search_path = ''
as $$
    select coalesce(signal_match_labels.labels, '{}'::jsonb) || pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
        'signal_type', signal_match_labels.signal_type,
        'severity', signal_match_labels.severity,
        'spec', signal_match_labels.spec_name,
        'pool', signal_match_labels.pool,
        'executor_id', signal_match_labels.executor_id,
        'run_id', signal_match_labels.run_id
    ))
$$;

comment on function private.signal_match_labels(jsonb, text, text, text, text, uuid, uuid) is
'The labels matchers see for a signal: its own labels plus signal_type, severity, spec, pool, executor_id and run_id (the subject wins over a label of the same name).';

create function private.matcher_matches(match jsonb, labels jsonb)
returns boolean
language plpgsql
immutable
parallel safe
set search_path = ''
as $$
begin
    return (
            -- Every key must match (AND); a list matches when any glob does (OR); a missing label matches
            -- nothing but an absent matcher. An empty or null matcher matches everything.
            select coalesce(pg_catalog.bool_and(
                case
                    when m.key = 'labels' then (
                        select coalesce(pg_catalog.bool_and(private.glob_matches(matcher_matches.labels ->> l.key, l.value)), true)
                        from pg_catalog.jsonb_each_text(m.value) as l (key, value)
                    )
                    when pg_catalog.jsonb_typeof(m.value) = 'array' then exists (
                        select
                        from pg_catalog.jsonb_array_elements_text(m.value) as g (glob)
                        where private.glob_matches(matcher_matches.labels ->> m.key, g.glob)
                    )
                    else private.glob_matches(matcher_matches.labels ->> m.key, m.value #>> '{}')
                end
            ), true)
            from pg_catalog.jsonb_each(coalesce(matcher_matches.match, '{}'::jsonb)) as m (key, value)
    );
end
$$;

comment on function private.matcher_matches(jsonb, jsonb) is
'Whether labels satisfy a matcher object (route match, silence, inhibit source/target): every key matches its glob or one of its globs; labels: {k: glob} each. Empty matches all.';

create function private.alert_group_key(route jsonb, labels jsonb)
returns text
language plpgsql
immutable
parallel safe
set search_path = ''
as $$
begin
    return (
            -- Alertmanager's group key: the route, then the group_by labels in the order given.
            select (alert_group_key.route ->> 'name') || ':{' || coalesce((
                select pg_catalog.string_agg(
                    g.label || '=' || pg_catalog.to_json(coalesce(alert_group_key.labels ->> g.label, ''))::text, ',' order by g.ordinality
                )
                from pg_catalog.jsonb_array_elements_text(coalesce(alert_group_key.route -> 'group_by', '[]'::jsonb))
                    with ordinality as g (label, ordinality)
            ), '') || '}'
    );
end
$$;

comment on function private.alert_group_key(jsonb, jsonb) is
'Group key of a signal on a route: <route name>:{label="value",…} over the route''s group_by labels, in order.';

create function private.matching_routes(body jsonb, labels jsonb)
returns table (ord integer, route jsonb, route_name text, group_key text)
language plpgsql
immutable
parallel safe
set search_path = ''
as $$
#variable_conflict use_column
begin
    return query
        -- First match wins; a matching route with continue: true lets the routes after it match too
        -- (Alertmanager's continue). A route is taken when it matches and every matching route before
        -- it continues.
        with matched as (
            select (r.ordinality)::integer as ord, r.value as route,
                coalesce((r.value ->> 'continue')::boolean, false) as continues
            from pg_catalog.jsonb_array_elements(coalesce(matching_routes.body -> 'routes', '[]'::jsonb))
                with ordinality as r (value, ordinality)
            where private.matcher_matches(r.value -> 'match', matching_routes.labels)
        ),
        taken as (
            select m.*, coalesce(pg_catalog.bool_and(m.continues) over (
                order by m.ord rows between unbounded preceding and 1 preceding
            ), true) as reached
            from matched as m
        )
        select t.ord, t.route, t.route ->> 'name', private.alert_group_key(t.route, matching_routes.labels)
        from taken as t
        where t.reached
        order by t.ord;
end
$$;

comment on function private.matching_routes(jsonb, jsonb) is
'The routes of a routing document that take a signal with these labels, in order: the first match, and the matches after it while every earlier match has continue: true. With the group key of each.';

create function private.active_silence(workspace_id uuid, labels jsonb, as_of timestamptz)
returns uuid
language plpgsql
stable
set search_path = ''
as $$
begin
    return (
            select s.id
            from public.alert_silences as s
            where s.workspace_id = active_silence.workspace_id
              and s.ends_at > active_silence.as_of
              and s.starts_at <= active_silence.as_of
              and s.expired_at is null
              and private.matcher_matches(s.matchers, active_silence.labels)
            order by s.ends_at desc, s.id
            limit 1
    );
end
$$;

comment on function private.active_silence(uuid, jsonb, timestamptz) is
'The active silence (started, not ended, not expired) of the workspace that matches the labels, or null.';

create function private.inhibiting_alert(workspace_id uuid, body jsonb, alert_id uuid, labels jsonb)
returns uuid
language plpgsql
stable
set search_path = ''
as $$
begin
    -- Most routing documents have no inhibit rules: no scan of the unresolved alerts then.
    if pg_catalog.jsonb_array_length(coalesce(inhibiting_alert.body -> 'inhibit_rules', '[]'::jsonb)) = 0 then
        return null;
    end if;
    return (
            -- Alertmanager's inhibition: an unresolved alert matching a rule's source_match mutes alerts
            -- matching its target_match when the labels listed in equal have the same value in both. An
            -- alert never inhibits itself.
            select a.id
            from pg_catalog.jsonb_array_elements(coalesce(inhibiting_alert.body -> 'inhibit_rules', '[]'::jsonb)) as r (rule)
            inner join public.alerts as a
                on a.workspace_id = inhibiting_alert.workspace_id
                and a.status <> 'resolved'
                and a.id is distinct from inhibiting_alert.alert_id
                and private.matcher_matches(r.rule -> 'source_match', a.labels)
            where private.matcher_matches(r.rule -> 'target_match', inhibiting_alert.labels)
              and not exists (
                  select
                  from pg_catalog.jsonb_array_elements_text(coalesce(r.rule -> 'equal', '[]'::jsonb)) as e (label)
                  where (a.labels ->> e.label) is distinct from (inhibiting_alert.labels ->> e.label)
              )
            order by a.opened_at, a.id
            limit 1
    );
end
$$;

comment on function private.inhibiting_alert(uuid, jsonb, uuid, jsonb) is
'The unresolved alert of the workspace that inhibits an alert with these labels under the document''s inhibit_rules (source matches it, target matches the labels, equal labels agree), or null. Never the alert itself.';
