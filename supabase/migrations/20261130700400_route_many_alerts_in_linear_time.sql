-- Why: opening and escalating many alerts of one workspace grew quadratically: every notification
-- counted the unresolved alerts of its group (an unindexed scan per payload), and every escalation
-- looked for an inhibiting alert by scanning the unresolved alerts even when the routing has no
-- inhibit rules. The payload no longer carries the group count, and inhibiting_alert returns at once
-- without inhibit rules.

set lock_timeout = '5s';
set statement_timeout = '60s';

-- Why: routes, silences and inhibit rules all match alerts the same way (Alertmanager's matchers):
-- a label against a glob or a list of globs, where the labels are the signal's own labels plus its
-- subject (signal_type, severity, spec, pool, executor_id, run_id). One set of helpers, used by
-- the router (0950), the escalation sweep and test_routes, so `controlroom routes test` shows
-- exactly what the database does.

create or replace function private.glob_matches(value text, glob text)
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

create or replace function private.signal_match_labels(
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

create or replace function private.matcher_matches(match jsonb, labels jsonb)
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

create or replace function private.alert_group_key(route jsonb, labels jsonb)
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

create or replace function private.matching_routes(body jsonb, labels jsonb)
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

create or replace function private.active_silence(workspace_id uuid, labels jsonb, as_of timestamptz)
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

create or replace function private.inhibiting_alert(workspace_id uuid, body jsonb, alert_id uuid, labels jsonb)
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

-- Why: the alert state machine has one home (issue 14). A signal finds or opens its alert on every
-- route that takes it (private.route_alert_signals, called by the trigger on alert_signals), a
-- recovery signal resolves the alerts of its fingerprint, and an open alert moves tier by tier
-- when its delay passes (private.escalate_alerts, called by claim_deliveries and the pg_cron sweep).
-- Each change writes its audit row in alert_changes and, when somebody must hear of it, its
-- deliveries in the outbox, in the same transaction.

create or replace function private.severity_rank(severity text)
returns integer
language sql
immutable
parallel safe
set search_path = ''
as $$
    select case severity_rank.severity when 'critical' then 3 when 'warning' then 2 when 'info' then 1 else 0 end
$$;

comment on function private.severity_rank(text) is
'Order of severities: info 1 < warning 2 < critical 3.';

create or replace function private.current_route_version(workspace_id uuid)
returns public.alert_route_versions
language plpgsql
stable
set search_path = ''
as $$
declare
    v_row public.alert_route_versions;
begin
        select v.* into v_row
        from public.alert_route_versions as v
        where v.workspace_id = current_route_version.workspace_id
        order by v.version desc
        limit 1;
    return v_row;
end
$$;

comment on function private.current_route_version(uuid) is
'The routing version signals of the workspace are routed by: the highest published version, or null.';

create or replace function private.alert_route(alert public.alerts)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
begin
    return (
            select r.value
            from public.alert_route_versions as v
            cross join lateral pg_catalog.jsonb_array_elements(v.body -> 'routes') as r (value)
            where v.id = (alert_route.alert).route_version_id
              and r.value ->> 'name' = (alert_route.alert).route_name
            limit 1
    );
end
$$;

comment on function private.alert_route(public.alerts) is
'The route (JSON) of the routing version an alert was routed with.';

create or replace function private.alert_score_factors(alert public.alerts, as_of timestamptz)
returns table (factor text, raw double precision, normalised double precision, weight double precision, contribution double precision)
language plpgsql
stable
set search_path = ''
as $$
#variable_conflict use_column
begin
    return query
        -- The scoring engine's shape (private.score_factors_in, 0296): raw value, factor in [0, 1],
        -- weight, contribution. Deadline proximity uses the runs' own factor (private.deadline_factor).
        with f (n, factor, raw, normalised, weight) as (
            select 1, 'severity', private.severity_rank((alert_score_factors.alert).severity)::double precision,
                case (alert_score_factors.alert).severity when 'critical' then 1.0 when 'warning' then 0.5 else 0.1 end::double precision,
                1000::double precision
            union all
            select 2, 'runs_affected', (alert_score_factors.alert).runs_affected::double precision,
                least(1, (alert_score_factors.alert).runs_affected::double precision / 10), 500
            union all
            select 3, 'deadline', extract(epoch from r.due_by - alert_score_factors.as_of)::double precision,
                private.deadline_factor(r.due_by, alert_score_factors.as_of, 3600), 1000
            from (select (
                select rr.due_by from public.runs as rr
                where rr.id = ((alert_score_factors.alert).subject ->> 'run_id')::uuid
            ) as due_by) as r
            union all
            select 4, 'spec_criticality', c.level::double precision, c.level::double precision / 4, 1000
            from (select coalesce((
                select case s.body #>> '{alerts,criticality}'
                    when 'critical' then 4 when 'high' then 3 when 'medium' then 2 when 'low' then 1 else 2 end
                from public.pipeline_specs as s
                where s.workspace_id = (alert_score_factors.alert).workspace_id
                  and s.name = (alert_score_factors.alert).subject ->> 'spec'
                order by s.published_at desc, s.id
                limit 1
            ), 0) as level) as c
        )
        select f.factor, f.raw, f.normalised, f.weight, f.normalised * f.weight
        from f
        order by f.n;
end
$$;

comment on function private.alert_score_factors(public.alerts, timestamptz) is
'The factors of an alert''s score: severity (critical 1, warning 0.5, info 0.1; weight 1000), runs affected (/10, capped at 1; weight 500), deadline proximity of its run (private.deadline_factor over 1 hour; weight 1000), spec criticality (alerts.criticality low 1 .. critical 4, medium when unset, 0 without a spec, /4; weight 1000).';

create or replace function private.alert_score(alert public.alerts, as_of timestamptz)
returns double precision
language plpgsql
stable
set search_path = ''
as $$
begin
    return (
            select coalesce(pg_catalog.sum(f.contribution), 0)
            from private.alert_score_factors(alert_score.alert, alert_score.as_of) as f
    );
end
$$;

comment on function private.alert_score(public.alerts, timestamptz) is
'An alert''s score: the sum of the contributions of private.alert_score_factors.';

create or replace function private.alert_payload(alert public.alerts, change text, tier integer, as_of timestamptz)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
begin
    return (
            select pg_catalog.jsonb_build_object(
                'alert_id', (alert_payload.alert).id,
                'workspace_id', (alert_payload.alert).workspace_id,
                'change', alert_payload.change,
                'status', (alert_payload.alert).status,
                'tier', alert_payload.tier,
                'route', (alert_payload.alert).route_name,
                'group_key', (alert_payload.alert).group_key,
                'fingerprint', (alert_payload.alert).fingerprint,
                'signal_type', (alert_payload.alert).signal_type,
                'severity', (alert_payload.alert).severity,
                'score', (alert_payload.alert).score,
                'subject', (alert_payload.alert).subject,
                'labels', (alert_payload.alert).labels,
                'summary', pg_catalog.format('[%s] %s %s%s', pg_catalog.upper((alert_payload.alert).severity),
                    pg_catalog.replace((alert_payload.alert).signal_type, '_', ' '),
                    coalesce('of ' || ((alert_payload.alert).subject ->> 'spec'), 'in ' || ((alert_payload.alert).subject ->> 'pool'), ''),
                    case alert_payload.change when 'resolved' then ' (resolved)' else '' end),
                'opened_at', (alert_payload.alert).opened_at,
                'last_signal_at', (alert_payload.alert).last_signal_at,
                'signal_count', (alert_payload.alert).signal_count,
                'runs_affected', (alert_payload.alert).runs_affected,
                'sent_for', alert_payload.as_of
            )
    );
end
$$;

comment on function private.alert_payload(public.alerts, text, integer, timestamptz) is
'The body of a notification: the alert (id, route, group key, fingerprint, type, severity, score, subject, labels, counts), the change notified, the tier, and a one-line summary.';

create or replace function private.enqueue_alert_deliveries(alert public.alerts, tiers integer [], change text, as_of timestamptz)
returns integer
language plpgsql
set search_path = ''
as $$
declare
    v_count integer;
begin
        -- One delivery per distinct target of the given tiers (1-based) of the alert's route, with the
        -- target's secret names from the same routing version.
        with v as (
            select rv.body from public.alert_route_versions as rv where rv.id = (enqueue_alert_deliveries.alert).route_version_id
        ),
        targets as (
            select distinct on (t.name) t.name, (select v.body -> 'targets' -> t.name from v) as target
            from pg_catalog.jsonb_array_elements(
                private.alert_route(enqueue_alert_deliveries.alert) -> 'escalation'
            ) with ordinality as e (tier, n)
            cross join lateral pg_catalog.jsonb_array_elements_text(e.tier -> 'targets') as t (name)
            where e.n = any(enqueue_alert_deliveries.tiers)
            order by t.name
        ),
        inserted as (
            insert into public.alert_deliveries (
                alert_id, workspace_id, tier, change, target_name, target_kind, url_secret, signing_secret,
                payload, next_attempt_at, created_at
            )
            select (enqueue_alert_deliveries.alert).id, (enqueue_alert_deliveries.alert).workspace_id,
                (select pg_catalog.max(x.n) from pg_catalog.unnest(enqueue_alert_deliveries.tiers) as x (n)),
                enqueue_alert_deliveries.change, t.name, t.target ->> 'kind', t.target ->> 'url_secret',
                t.target ->> 'signing_secret',
                private.alert_payload(enqueue_alert_deliveries.alert, enqueue_alert_deliveries.change,
                    (select pg_catalog.max(x.n) from pg_catalog.unnest(enqueue_alert_deliveries.tiers) as x (n)), enqueue_alert_deliveries.as_of),
                enqueue_alert_deliveries.as_of, enqueue_alert_deliveries.as_of
            from targets as t
            returning 1
        )
        select pg_catalog.count(*)::integer into v_count from inserted;
    return v_count;
end
$$;

comment on function private.enqueue_alert_deliveries(public.alerts, integer [], text, timestamptz) is
'Writes the outbox rows of a notification: one delivery per distinct target of the given tiers of the alert''s route, due at as_of. Returns how many.';
