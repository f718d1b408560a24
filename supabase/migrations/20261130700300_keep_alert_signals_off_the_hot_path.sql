-- Why: a run's final failure took seconds on a large runs table once the alert signals were raised:
-- the signal trigger fires inside private.runs_after_update, whose SET enable_nestloop = off lasts
-- for nested calls, so every key lookup of the alerting chain became a scan of its table. The
-- signal triggers now set enable_nestloop = on. And the helpers the chain calls per signal (route
-- matching, silences, inhibition, score, payload, outbox insert) are PL/pgSQL instead of SQL: a SQL
-- function that cannot be inlined is planned again at every call, a PL/pgSQL one once per session.

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
                'group_open_alerts', (
                    select pg_catalog.count(*)
                    from public.alerts as g
                    where g.workspace_id = (alert_payload.alert).workspace_id
                      and g.group_key = (alert_payload.alert).group_key
                      and g.status <> 'resolved'
                ),
                'sent_for', alert_payload.as_of
            )
    );
end
$$;

comment on function private.alert_payload(public.alerts, text, integer, timestamptz) is
'The body of a notification: the alert (id, route, group key, fingerprint, type, severity, score, subject, labels, counts), the change notified, the tier, a one-line summary and the number of unresolved alerts in its group.';

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

-- Why: signals become alerts here, in the transaction that raised them, so an alert is never lost
-- between a cause and its notification (issue 14). For each problem signal, every route that takes
-- it (first match, continue) finds the unresolved alert of (route, fingerprint), reopens one resolved
-- within the reopen window, or opens a new one; a recovery signal resolves the unresolved alerts of
-- its fingerprint. Alerts due at once (group_wait 0, first tier after 0 s) escalate in the same
-- transaction, so the first delivery is in the outbox when the cause commits.

create or replace function private.reopen_window(route jsonb, body jsonb)
returns interval
language sql
immutable
parallel safe
set search_path = ''
as $$
    select pg_catalog.make_interval(secs => coalesce(
        (reopen_window.route ->> 'reopen_window_seconds')::double precision,
        (reopen_window.body #>> '{defaults,reopen_window_seconds}')::double precision,
        3600
    ))
$$;

comment on function private.reopen_window(jsonb, jsonb) is
'How long after resolution a recurring problem reopens its alert instead of opening a new one: the route''s reopen_window_seconds, else defaults.reopen_window_seconds, else 1 hour.';

create or replace function private.first_escalation_at(route jsonb, opened_at timestamptz)
returns timestamptz
language sql
immutable
parallel safe
set search_path = ''
as $$
    -- Tier 1 is due group_wait after the alert (re)opened plus its own after_seconds.
    select first_escalation_at.opened_at + pg_catalog.make_interval(secs =>
        coalesce((first_escalation_at.route ->> 'group_wait_seconds')::double precision, 0)
        + coalesce((first_escalation_at.route #>> '{escalation,0,after_seconds}')::double precision, 0))
$$;

comment on function private.first_escalation_at(jsonb, timestamptz) is
'When an alert opened at opened_at reaches tier 1: after the route''s group_wait_seconds plus the first tier''s after_seconds.';

create or replace function private.route_alert_signals(signal_ids bigint [])
returns void
language plpgsql
set search_path = ''
as $$
declare
    v_signal public.alert_signals;
    v_version public.alert_route_versions;
    v_labels jsonb;
    v_route record;
    v_alert public.alerts;
    v_due uuid [] := '{}'::uuid [];
    v_resolved public.alerts;
    v_as_of timestamptz;
begin
    for v_signal in
        select s.* from public.alert_signals as s where s.id = any(route_alert_signals.signal_ids) order by s.id
    loop
        v_as_of := v_signal.raised_at;
        if v_signal.is_recovery then
            -- A recovery resolves every unresolved alert of its fingerprint, on any route.
            for v_resolved in
                update public.alerts as a
                set status = 'resolved', resolved_at = v_as_of, resolved_by = 'system:recovery',
                    next_escalation_at = null, updated_at = v_as_of
                where a.workspace_id = v_signal.workspace_id
                  and a.fingerprint = v_signal.fingerprint
                  and a.status <> 'resolved'
                returning a.*
            loop
                perform private.note_alert_resolved(v_resolved, 'system:recovery',
                    'recovered: ' || v_signal.signal_type, v_signal.id, v_as_of);
            end loop;
            continue;
        end if;

        if v_version.id is null or v_version.workspace_id <> v_signal.workspace_id then
            v_version := private.current_route_version(v_signal.workspace_id);
        end if;
        if v_version.id is null then
            continue;  -- no routing published: the signal is recorded, nobody is paged
        end if;
        v_labels := private.signal_match_labels(v_signal.labels, v_signal.signal_type, v_signal.severity,
            v_signal.spec_name, v_signal.pool, v_signal.executor_id, v_signal.run_id);

        for v_route in select m.* from private.matching_routes(v_version.body, v_labels) as m order by m.ord loop
            -- GUARD: two transactions raising the same fingerprint: the partial unique index on
            -- unresolved alerts makes the second insert wait and then take the update path.
            select a.* into v_alert
            from public.alerts as a
            where a.workspace_id = v_signal.workspace_id
              and a.route_name = v_route.route_name
              and a.fingerprint = v_signal.fingerprint
              and a.status <> 'resolved'
            for update;
            if found then
                update public.alerts as a
                set signal_count = a.signal_count + 1,
                    last_signal_at = greatest(a.last_signal_at, v_as_of),
                    severity = case when private.severity_rank(v_signal.severity) > private.severity_rank(a.severity)
                        then v_signal.severity else a.severity end,
                    runs_affected = a.runs_affected + case when v_signal.run_id is not null and not exists (
                        select from public.alert_signals as p
                        where p.workspace_id = v_signal.workspace_id and p.fingerprint = v_signal.fingerprint
                          and p.raised_at >= a.opened_at and p.id < v_signal.id and p.run_id = v_signal.run_id
                    ) then 1 else 0 end,
                    subject = private.signal_subject(v_signal),
                    labels = v_labels,
                    updated_at = v_as_of
                where a.id = v_alert.id
                returning a.* into v_alert;
                insert into public.alert_changes (alert_id, workspace_id, change, from_status, to_status, tier, signal_id, actor, at)
                values (v_alert.id, v_alert.workspace_id, 'signal', v_alert.status, v_alert.status, v_alert.tier,
                    v_signal.id, 'system:signal', v_as_of);
            else
                select a.* into v_alert
                from public.alerts as a
                where a.workspace_id = v_signal.workspace_id
                  and a.route_name = v_route.route_name
                  and a.fingerprint = v_signal.fingerprint
                  and a.status = 'resolved'
                  and a.resolved_at >= v_as_of - private.reopen_window(v_route.route, v_version.body)
                order by a.resolved_at desc
                limit 1
                for update;
                if found then
                    update public.alerts as a
                    set status = 'open', opened_at = v_as_of, resolved_at = null, resolved_by = null,
                        acknowledged_at = null, acknowledged_by = null, tier = 0, suppressed_by = null,
                        route_version_id = v_version.id, group_key = v_route.group_key,
                        next_escalation_at = private.first_escalation_at(v_route.route, v_as_of),
                        severity = v_signal.severity, signal_count = a.signal_count + 1,
                        runs_affected = case when v_signal.run_id is null then 0 else 1 end,
                        last_signal_at = v_as_of, subject = private.signal_subject(v_signal),
                        labels = v_labels, updated_at = v_as_of
                    where a.id = v_alert.id
                    returning a.* into v_alert;
                    insert into public.alert_changes (alert_id, workspace_id, change, from_status, to_status, tier, signal_id, actor, at)
                    values (v_alert.id, v_alert.workspace_id, 'reopened', 'resolved', 'open', 0, v_signal.id, 'system:signal', v_as_of);
                else
                    insert into public.alerts (
                        workspace_id, fingerprint, route_version_id, route_name, group_key, signal_type, subject, labels,
                        status, severity, next_escalation_at, opened_at, first_signal_at, last_signal_at,
                        runs_affected, updated_at
                    )
                    values (
                        v_signal.workspace_id, v_signal.fingerprint, v_version.id, v_route.route_name, v_route.group_key,
                        v_signal.signal_type, private.signal_subject(v_signal), v_labels, 'open', v_signal.severity,
                        private.first_escalation_at(v_route.route, v_as_of), v_as_of, v_as_of, v_as_of,
                        case when v_signal.run_id is null then 0 else 1 end, v_as_of
                    )
                    returning * into v_alert;
                    insert into public.alert_changes (alert_id, workspace_id, change, from_status, to_status, tier, signal_id, actor, at)
                    values (v_alert.id, v_alert.workspace_id, 'opened', null, 'open', 0, v_signal.id, 'system:signal', v_as_of);
                end if;
            end if;
            update public.alerts as a set score = private.alert_score(v_alert, v_as_of)
            where a.id = v_alert.id;
            if v_alert.next_escalation_at <= v_as_of then
                v_due := v_due || v_alert.id;
            end if;
        end loop;
    end loop;

    if pg_catalog.cardinality(v_due) > 0 then
        perform private.escalate_alerts(v_due, v_as_of);
    end if;
end
$$;

comment on function private.route_alert_signals(bigint []) is
'Signals to alerts, in id order: a problem signal updates, reopens (within the reopen window) or opens the alert of (route, fingerprint) on every route that takes it, and escalates at once the alerts already due; a recovery signal resolves the unresolved alerts of its fingerprint. Audited in alert_changes with actor system:signal / system:recovery.';

create or replace function private.alert_signals_after_insert()
returns trigger
language plpgsql
set search_path = ''
-- Routing looks alerts up by key: index lookups whatever the statement that raised the signals set
-- (the runs triggers turn nested loops off for their own joins, 0300).
set enable_nestloop = on
as $$
begin
    perform private.route_alert_signals(array(select n.id from new_signals as n order by n.id));
    return null;
end
$$;

comment on function private.alert_signals_after_insert() is
'Trigger: routes the signals of the statement into alerts (private.route_alert_signals).';

-- Why: the signals that have a moment (issue 14) are raised by the write that causes them, in its
-- transaction: a run's final failure, time-out or success (a trigger on run_transitions, the audit
-- every status change already writes, so no core lease function changes), a zombie's refused write
-- and a failed artifact verification (a trigger on run_events, whose lease.rejected and
-- artifact.verification_failed events the existing RPCs record). Both are statement triggers over
-- transition tables: a batch of 50 completions costs one call, and a statement with nothing to
-- signal costs one scan of its own rows.

create or replace function private.run_transitions_raise_signals()
returns trigger
language plpgsql
set search_path = ''
-- Fired inside private.runs_after_update, which turns nested loops off for its own joins (0300);
-- a SET clause lasts for nested calls, and without nested loops every lookup below (runs, specs,
-- alerts by key) became a scan of its whole table: seconds per completion on a large runs table.
set enable_nestloop = on
as $$
begin
    if not exists (select from new_transitions as n where n.to_status in ('failed', 'timed_out', 'succeeded')) then
        return null;
    end if;
    insert into public.alert_signals (
        workspace_id, run_id, spec_name, pool, signal_type, severity, fingerprint, is_recovery, labels, payload, raised_at
    )
    with t as (
        select n.run_id, n.workspace_id, n.attempt_no, n.to_status, n.actor, n.reason, n.at,
            r.pool, s.name as spec_name, s.max_attempts,
            private.spec_alert_labels(s.body) as labels
        from new_transitions as n
        inner join public.runs as r on r.id = n.run_id
        inner join public.pipeline_specs as s on s.id = r.spec_id
        where n.to_status in ('failed', 'timed_out', 'succeeded')
    ),
    problems as (
        select t.*, k.signal_type, 'critical'::text as severity,
            k.signal_type || ':spec:' || t.spec_name as fingerprint
        from t
        cross join lateral (
            select 'run_failed' as signal_type where t.to_status = 'failed'
            union all
            -- The run failed because its attempts ran out (retries were allowed and all were used).
            select 'retries_exhausted' where t.to_status = 'failed' and t.max_attempts > 1 and t.attempt_no >= t.max_attempts
            union all
            select 'run_timed_out' where t.to_status = 'timed_out'
        ) as k
    ),
    recoveries as (
        -- A success clears the problems of its pipeline and of its own run that still have an
        -- unresolved alert (a retry that succeeds resolves "run longer than threshold").
        select distinct on (t.workspace_id, f.fingerprint) t.*, f.fingerprint
        from t
        cross join lateral pg_catalog.unnest(array[
            'run_failed:spec:' || t.spec_name, 'retries_exhausted:spec:' || t.spec_name,
            'run_timed_out:spec:' || t.spec_name, 'run_too_long:run:' || t.run_id::text
        ]) as f (fingerprint)
        where t.to_status = 'succeeded'
          and exists (
              select from public.alerts as a
              where a.workspace_id = t.workspace_id and a.fingerprint = f.fingerprint and a.status <> 'resolved'
          )
        order by t.workspace_id, f.fingerprint, t.at desc
    )
    select p.workspace_id, p.run_id, p.spec_name, p.pool, p.signal_type, p.severity, p.fingerprint, false, p.labels,
        pg_catalog.jsonb_build_object(
            'reason', p.reason, 'actor', p.actor, 'attempt_no', p.attempt_no, 'max_attempts', p.max_attempts,
            'error_class', a.error_class, 'error_message', pg_catalog.left(a.error_message, 500)
        ),
        p.at
    from problems as p
    left join public.run_attempts as a on a.run_id = p.run_id and a.attempt_no = p.attempt_no
    union all
    select r.workspace_id, r.run_id, r.spec_name, r.pool, 'run_recovered', 'info', r.fingerprint, true, r.labels,
        pg_catalog.jsonb_build_object('reason', r.reason, 'attempt_no', r.attempt_no, 'recovered_by_run', r.run_id),
        r.at
    from recoveries as r
    order by 11, 2;
    return null;
end
$$;

comment on function private.run_transitions_raise_signals() is
'Trigger: raises run_failed (and retries_exhausted when the attempts ran out) for a final failure, run_timed_out for a time-out, and run_recovered for a success when its pipeline''s failure, time-out or exhaustion, or its own run_too_long, has an unresolved alert. One statement per batch of transitions.';


create or replace function private.run_events_raise_signals()
returns trigger
language plpgsql
set search_path = ''
-- Index lookups whatever the firing statement set (see run_transitions_raise_signals).
set enable_nestloop = on
as $$
begin
    if not exists (
        select from new_events as e where e.type in ('lease.rejected', 'artifact.verification_failed')
    ) then
        return null;
    end if;
    insert into public.alert_signals (
        workspace_id, run_id, spec_name, pool, executor_id, signal_type, severity, fingerprint, labels, payload, raised_at
    )
    select e.workspace_id, e.run_id, s.name, r.pool, a.executor_id,
        case e.type when 'lease.rejected' then 'lease_rejected' else 'artifact_verification_failed' end,
        case e.type when 'lease.rejected' then 'warning' else 'critical' end,
        case e.type
            when 'lease.rejected' then 'lease_rejected:run:' || e.run_id::text
            else 'artifact_verification_failed:artifact:' || coalesce(e.payload ->> 'artifact_id', e.run_id::text)
        end,
        private.spec_alert_labels(s.body),
        e.payload || pg_catalog.jsonb_build_object('message', e.message, 'event_id', e.id, 'phase', e.phase),
        e.ts
    from new_events as e
    inner join public.runs as r on r.id = e.run_id
    inner join public.pipeline_specs as s on s.id = r.spec_id
    left join public.run_attempts as a on a.id = e.attempt_id
    where e.type in ('lease.rejected', 'artifact.verification_failed')
    order by e.id;
    return null;
end
$$;

comment on function private.run_events_raise_signals() is
'Trigger: raises lease_rejected (a zombie''s write refused, with the executor) and artifact_verification_failed (an artifact missing or not matching its record) from the run events the RPCs record. One statement per batch of events.';
